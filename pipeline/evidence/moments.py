"""Clips of moments of a finding, drawn on request: what one needs from its branch's
site (the camera's recordings of the day and its zones, found again from the site file
the nightly run stored with the branch; the review server reads the same recordings
folder), and the drawer that draws them off the request path."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.evidence.clips import EvidenceError, EvidenceRequest, Tell
from pipeline.footage.recordings import RecordingsError, find_segments
from pipeline.site import SiteError, load_site, zone_specs

log = logging.getLogger(__name__)


def moment_request(
    site_path: str,
    finding_id: str,
    item: str,
    camera_id: str,
    zone_id: str,
    day: date,
    at: datetime,
) -> EvidenceRequest:
    """The request of a clip around `at`; EvidenceError says why the recordings cannot be
    reached (no site file stored, the file or the camera's folder gone)."""
    if not site_path:
        raise EvidenceError("the branch's site file is not known to this server")
    try:
        site = load_site(Path(site_path))
        camera = site.camera(camera_id)
        day_files = find_segments(
            site.resolve(camera.recordings.folder), camera.file_pattern, camera.id, site.tz, day
        )
        zones = tuple(zone_specs(site, camera))
    except (SiteError, RecordingsError) as exc:
        raise EvidenceError(str(exc)) from None
    return EvidenceRequest(
        finding_id=finding_id,
        item=item,
        camera=camera_id,
        zone_id=zone_id,
        start=at,
        end=at,
        keytime=at,
        segments=day_files.segments,
        zones=zones,
    )


#: what the clips of moments may take on disk before the least recently used go
MOMENTS_BUDGET = 1 << 30  # bytes: some 2,500 clips of 12 s at the evidence's 5 fps
#: clips drawn at once: each decodes, detects and encodes; the server's cores serve pages too
WORKERS = 1
#: moments waiting to be drawn, all callers together; one more gets "busy, retry"
QUEUE_SIZE = 16
#: moments one person may have waiting or being drawn; one more gets "too many"
PER_PERSON = 2
#: failures kept for the poll that asks next, oldest forgotten first
REMEMBERED_FAILURES = 256


class MomentsBusy(Exception):
    """The queue is full (`per_person` False) or the person has their share waiting."""

    def __init__(self, message: str, per_person: bool) -> None:
        super().__init__(message)
        self.per_person = per_person


@dataclass(frozen=True)
class Progress:
    """Where a moment's clip stands: waiting with `ahead` clips before it, or drawing;
    while drawing, its stage (clips.MOMENT_STAGES: decoding, drawing, encoding) and the
    share of its frames done, in percent."""

    state: str  # "queued" | "drawing"
    ahead: int
    stage: str = "queued"
    percent: int = 0


@dataclass
class _Job:
    rel: str
    request: EvidenceRequest
    person: str
    state: str = "queued"
    stage: str = "queued"
    share: float = 0.0


class MomentDrawer:
    """Clips of moments drawn off the request path: a bounded queue, `workers` threads,
    at most `per_person` moments of one person waiting or drawn at once, and the
    `moments/` folder kept under `budget` bytes by removing the least recently used
    clips. A request asks and returns at once with the progress (api/moment_clips.py);
    nothing here touches the database, so no connection waits on a clip."""

    def __init__(
        self,
        root: Path,
        draw: Callable[[EvidenceRequest, Tell], str],
        *,
        workers: int = WORKERS,
        queue_size: int = QUEUE_SIZE,
        per_person: int = PER_PERSON,
        budget: int = MOMENTS_BUDGET,
    ) -> None:
        self.root = root
        #: the request's clip, written under root, telling its progress; returns its path
        self.draw = draw
        self.workers, self.queue_size = workers, queue_size
        self.per_person, self.budget = per_person, budget
        self._lock = threading.Condition()
        self._queue: deque[str] = deque()
        self._jobs: dict[str, _Job] = {}
        self._failed: OrderedDict[str, str] = OrderedDict()
        self._threads: list[threading.Thread] = []

    def ask(self, rel: str, request: EvidenceRequest, person: str) -> Progress:
        """The progress of the clip at `rel`, queued now if it is not yet. EvidenceError
        if drawing it failed since the last ask (said once, then it may be asked again),
        MomentsBusy if it cannot be queued now."""
        with self._lock:
            if rel in self._failed:
                raise EvidenceError(self._failed.pop(rel))
            job = self._jobs.get(rel)
            if job is None:
                mine = sum(j.person == person for j in self._jobs.values())
                if mine >= self.per_person:
                    raise MomentsBusy(
                        f"{mine} clips of yours are being drawn already (at most "
                        f"{self.per_person} at once)", per_person=True,
                    )  # fmt: skip
                if len(self._queue) >= self.queue_size:
                    raise MomentsBusy(
                        f"{len(self._queue)} clips are waiting to be drawn", per_person=False
                    )
                job = self._jobs[rel] = _Job(rel, request, person)
                self._queue.append(rel)
                self._start()
                self._lock.notify()
            return self._progress(job)

    def progress(self, rel: str) -> Progress | None:
        """The progress of the clip at `rel` if it is queued or being drawn (None if
        not), without its request: a poll need not find the recordings again
        (api/moment_clips.py). EvidenceError as `ask`."""
        with self._lock:
            if rel in self._failed:
                raise EvidenceError(self._failed.pop(rel))
            job = self._jobs.get(rel)
            return None if job is None else self._progress(job)

    def _progress(self, job: _Job) -> Progress:
        if job.state == "queued":
            return Progress(job.state, self._queue.index(job.rel))
        return Progress(job.state, 0, job.stage, min(int(job.share * 100), 99))

    def used(self, rel: str) -> None:
        """A kept clip was served: it is the most recently used, the last to be pruned."""
        with contextlib.suppress(OSError):
            os.utime(self.root / rel)

    def _start(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, name="moment-drawer", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    self._lock.wait()
                job = self._jobs[self._queue.popleft()]
                job.state, job.stage = "drawing", "decoding"
            failure = None

            def told(stage: str, share: float, job: _Job = job) -> None:
                with self._lock:
                    job.stage, job.share = stage, share

            try:
                self.draw(job.request, told)
            except EvidenceError as exc:
                failure = str(exc)
            except Exception as exc:  # one bad recording must not stop the worker
                log.exception("drawing the moment %s failed", job.rel)
                failure = f"drawing the clip failed: {type(exc).__name__}"
            with self._lock:
                del self._jobs[job.rel]
                if failure is not None:
                    self._failed[job.rel] = failure
                    while len(self._failed) > REMEMBERED_FAILURES:
                        self._failed.popitem(last=False)
                busy = set(self._jobs)
            self.prune(keep=busy | {job.rel})

    def prune(self, keep: set[str] = frozenset()) -> list[str]:
        """Remove the least recently used clips until `moments/` fits the budget; `keep`
        (relative paths) stay whatever they weigh. Returns what was removed."""
        folder = self.root / "moments"
        found = []
        for path in folder.rglob("*.mp4") if folder.is_dir() else ():
            with contextlib.suppress(OSError):
                stat = path.stat()
                found.append((stat.st_mtime_ns, stat.st_size, path))
        total = sum(size for _, size, _ in found)
        removed = []
        for _, size, path in sorted(found):
            if total <= self.budget:
                break
            rel = path.relative_to(self.root).as_posix()
            if rel in keep:
                continue
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when empty
            total -= size
            removed.append(rel)
        return removed
