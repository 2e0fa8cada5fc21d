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

from pipeline.footage.names import compile_pattern
from pipeline.footage.packets import PacketClock
from rules.intervals import Interval

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".avi", ".ts", ".m4v", ".flv"})
_PROBE_KEYFRAMES = 4  # keyframes read to estimate the keyframe interval
_PROBE_PACKETS = 2000  # stop probing there even if keyframes are rare
NAME_MARGIN_S = 2.0  # a name's end and the declared duration may differ by this much


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
    note: str | None = None  # the name's end and the declared duration disagree


@dataclass(frozen=True)
class Skipped:
    """A file in a camera's folder that is not one of its recordings for the day, and why."""

    path: Path
    why: str


@dataclass(frozen=True)
class CameraDay:
    """Segments overlapping one local date, by start time, with the timeline's defects."""

    camera: str
    day: date
    tz: ZoneInfo
    segments: tuple[Segment, ...]
    holes: tuple[Interval, ...]  # a segment ends before the next one begins
    overlaps: tuple[Interval, ...]  # a segment begins before an earlier one ends
    skipped: tuple[Skipped, ...] = ()

    @property
    def bounds(self) -> Interval:
        return day_bounds(self.day, self.tz)


def day_bounds(day: date, tz: ZoneInfo) -> Interval:
    """Local midnight to midnight (23 or 25 hours on DST changes)."""
    start = datetime.combine(day, time(), tz)
    return start, datetime.combine(day + timedelta(days=1), time(), tz)


def parse_start(name: str, pattern: str, camera: str, tz: ZoneInfo) -> datetime | None:
    """Start time a file name gives by `pattern` (pipeline/footage/names.py)."""
    times = compile_pattern(pattern).times(name, camera, tz)
    return times.start if times else None


def probe(
    path: Path, start: datetime | None, tz: ZoneInfo, named_end: datetime | None = None
) -> Segment | None:
    """Open a file once: declared duration, keyframe cadence and, when `start` is not given,
    the container's creation_time. None when no start time can be had.

    When the name gives the end too, the segment spans what the name says (a file cut
    short is then truncated, not a hole) and a declared duration that disagrees with the
    name beyond a frame-scale margin is noted on the segment."""
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
        end = named_end or start
        return Segment(path, start, end, 0.0, error=f"unreadable: {exc}")
    if named_end is None:
        return Segment(path, start, start + timedelta(seconds=duration), duration, interval)
    named = (named_end - start).total_seconds()
    note = None
    if abs(named - duration) > max(NAME_MARGIN_S, 0.01 * named):
        note = f"its name says {named:.0f} s, the file declares {duration:.0f} s"
        log.warning("%s: %s", path, note)
    return Segment(path, start, named_end, duration, interval, note=note)


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
    clock = PacketClock(stream)
    for n, packet in enumerate(container.demux(stream)):
        if packet.size and clock(packet) and packet.is_keyframe:
            keys.append(float(packet.pts * stream.time_base))
        if len(keys) > _PROBE_KEYFRAMES or n > _PROBE_PACKETS:
            break
    if len(keys) < 2:
        return None
    return statistics.median(b - a for a, b in zip(keys, keys[1:], strict=False))


def _candidates(folder: Path, pattern: str | None, camera: str, tz: ZoneInfo):
    """(path, times from the name or None, why it is not a recording or None) for every
    file in the folder."""
    files = folder.rglob("*") if pattern and "/" in pattern else folder.iterdir()
    names = compile_pattern(pattern) if pattern else None
    suffix = Path(pattern).suffix.lower() if pattern else None
    for path in sorted(files):
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        times = names.times(name, camera, tz) if names else None
        if times is not None:
            yield path, times, None
        elif path.suffix.lower() == suffix or (suffix is None and path.suffix in VIDEO_SUFFIXES):
            yield path, None, None  # fall back to the container's creation_time
        else:
            yield path, None, f"its name does not match {pattern!r}"


def find_segments(
    folder: str | Path, pattern: str | None, camera: str, tz: ZoneInfo | str, day: date
) -> CameraDay:
    """Segments of `camera` overlapping local date `day`, and the files skipped with why.

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
    segments, skipped = [], []
    for path, times, why in candidates:
        if why is not None:
            skipped.append(Skipped(path, why))
            continue
        start = times.start if times else None
        if times is not None:
            matched += 1
            # a segment longer than a day is not a recording an NVR writes
            if not day_start - timedelta(days=1) <= start < day_end:
                skipped.append(Skipped(path, f"another day ({start:%Y-%m-%d %H:%M:%S})"))
                continue
        segment = probe(path, start, tz, times.end if times else None)
        if segment is None:
            log.warning("%s: no start time in its name nor in its metadata; ignored", path)
            skipped.append(Skipped(path, "no start time in its name nor in its metadata"))
            continue
        matched += start is None
        if segment.start < day_end and (segment.end > day_start or segment.start >= day_start):
            segments.append(segment)
        else:
            skipped.append(Skipped(path, f"another day ({segment.start:%Y-%m-%d %H:%M:%S})"))
    if not matched:
        raise RecordingsError(f"camera {camera}: no file in {folder} matches {pattern!r}")
    segments.sort(key=lambda s: (s.start, s.path))
    holes, overlaps = timeline(segments)
    return CameraDay(camera, day, tz, tuple(segments), holes, overlaps, tuple(skipped))


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
