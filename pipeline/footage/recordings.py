"""A camera-day's recordings: which segment files cover which wall-clock span.

NVRs split a day into many segment files whose names carry their start time; the files
may leave holes between them or overlap. Everything downstream works in aware datetimes
in the branch's time zone, so the sampler and the coverage never guess an offset.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import av

from rules.intervals import Interval

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".avi", ".ts", ".m4v", ".flv"})
_PROBE_KEYFRAMES = 4  # keyframes read to estimate the keyframe interval
_PROBE_PACKETS = 2000  # stop probing there even if keyframes are rare


class RecordingsError(Exception):
    """A camera's recordings cannot be found at all (missing folder, nothing matches)."""


@dataclass(frozen=True)
class Segment:
    """One recording file. `error` is set when the file cannot be opened at all; such a
    segment has zero duration and the coverage reports it as unreadable."""

    path: Path
    start: datetime
    end: datetime
    duration: float  # seconds, as the container declares it
    keyframe_interval_s: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class CameraDay:
    """Segments overlapping one local date, by start time, with the timeline's defects."""

    camera: str
    day: date
    tz: ZoneInfo
    segments: tuple[Segment, ...]
    holes: tuple[Interval, ...]  # a segment ends before the next one begins
    overlaps: tuple[Interval, ...]  # a segment begins before an earlier one ends

    @property
    def bounds(self) -> Interval:
        return day_bounds(self.day, self.tz)


def day_bounds(day: date, tz: ZoneInfo) -> Interval:
    """Local midnight to midnight (23 or 25 hours on DST changes)."""
    start = datetime.combine(day, time(), tz)
    return start, datetime.combine(day + timedelta(days=1), time(), tz)


def parse_start(name: str, pattern: str, camera: str, tz: ZoneInfo) -> datetime | None:
    """Start time encoded in a file name by a strftime pattern (`{camera}` allowed); naive
    times are the branch's wall clock, `%z` offsets are honoured."""
    try:
        parsed = datetime.strptime(name, pattern.replace("{camera}", camera))
    except ValueError:
        return None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed.astimezone(tz)


def probe(path: Path, start: datetime | None, tz: ZoneInfo) -> Segment | None:
    """Open a file once: declared duration, keyframe cadence and, when `start` is not given,
    the container's creation_time. None when no start time can be had."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if start is None:
                start = _creation_time(container.metadata, tz)
                if start is None:
                    return None
            duration = _declared_duration(container, stream)
            interval = _keyframe_interval(container, stream)
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        if start is None:
            return None
        log.warning("%s: unreadable: %s", path, exc)
        return Segment(path, start, start, 0.0, error=f"unreadable: {exc}")
    return Segment(path, start, start + timedelta(seconds=duration), duration, interval)


def _creation_time(metadata: dict, tz: ZoneInfo) -> datetime | None:
    """Containers write creation_time in UTC ("...Z"); a naive one is taken as UTC too."""
    try:
        value = datetime.fromisoformat(metadata["creation_time"])
    except (KeyError, ValueError):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(tz)


def _declared_duration(container, stream) -> float:
    if stream.duration is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _keyframe_interval(container, stream) -> float | None:
    """Median spacing of the first keyframes, from packets only (nothing is decoded)."""
    keys: list[float] = []
    for n, packet in enumerate(container.demux(stream)):
        if packet.is_keyframe and packet.pts is not None:
            keys.append(float(packet.pts * stream.time_base))
        if len(keys) > _PROBE_KEYFRAMES or n > _PROBE_PACKETS:
            break
    if len(keys) < 2:
        return None
    return statistics.median(b - a for a, b in zip(keys, keys[1:], strict=False))


def _candidates(folder: Path, pattern: str | None, camera: str, tz: ZoneInfo):
    """(path, start from the name or None) for every file that may be a recording."""
    files = folder.rglob("*") if pattern and "/" in pattern else folder.iterdir()
    suffix = Path(pattern).suffix.lower() if pattern else None
    for path in files:
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        start = parse_start(name, pattern, camera, tz) if pattern else None
        if start is not None:
            yield path, start
        elif path.suffix.lower() == suffix or (suffix is None and path.suffix in VIDEO_SUFFIXES):
            yield path, None  # fall back to the container's creation_time


def find_segments(
    folder: str | Path, pattern: str | None, camera: str, tz: ZoneInfo | str, day: date
) -> CameraDay:
    """Segments of `camera` overlapping local date `day`.

    Raises RecordingsError when the folder is missing or cannot be listed (permissions, a
    file in its place, a failing share), or no file in it is a recording by `pattern` (or
    by creation_time when the name does not say): the camera's day is then unknown, with
    that reason, and the rest of the night goes on.
    """
    folder, tz = Path(folder), ZoneInfo(str(tz))
    try:
        if not folder.exists():
            raise RecordingsError(f"camera {camera}: recordings folder not found: {folder}")
        candidates = list(_candidates(folder, pattern, camera, tz))
    except OSError as exc:
        raise RecordingsError(
            f"camera {camera}: cannot read recordings folder {folder}: {exc.strerror or exc}"
        ) from None
    day_start, day_end = day_bounds(day, tz)
    matched = 0
    segments = []
    for path, start in candidates:
        if start is not None:
            matched += 1
            # a segment longer than a day is not a recording an NVR writes
            if not day_start - timedelta(days=1) <= start < day_end:
                continue
        segment = probe(path, start, tz)
        if segment is None:
            log.warning("%s: no start time in its name nor in its metadata; ignored", path)
            continue
        matched += start is None
        if segment.start < day_end and (segment.end > day_start or segment.start >= day_start):
            segments.append(segment)
    if not matched:
        raise RecordingsError(f"camera {camera}: no file in {folder} matches {pattern!r}")
    segments.sort(key=lambda s: (s.start, s.path))
    holes, overlaps = timeline(segments)
    return CameraDay(camera, day, tz, tuple(segments), holes, overlaps)


def timeline(segments: list[Segment]) -> tuple[tuple[Interval, ...], tuple[Interval, ...]]:
    """Holes and overlaps between segments sorted by start."""
    holes, overlaps = [], []
    reach = None  # latest end so far: a long segment can contain later short ones
    for seg in segments:
        if reach is not None and seg.start > reach:
            holes.append((reach, seg.start))
        elif reach is not None and seg.start < reach:
            overlaps.append((seg.start, min(reach, seg.end)))
        reach = seg.end if reach is None else max(reach, seg.end)
    return tuple(holes), tuple(overlaps)
