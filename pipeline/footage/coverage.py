"""What of a camera's window was actually seen, and why the rest was not.

Later stages must treat a gap as unknown, never as absence: every second of the window is
either observed or inside a gap with a reason.

The rule, one for `branch-audit coverage` and the nightly `run` (both read files with
pipeline/footage/sampler.py): a file's part of the window (sampler.plan) is observed,
except

- unreadable: the file does not open (its part of the window, up to the next file);
- decode error: from a frame that fails to decode to the next keyframe;
- truncated: from where the file stops to its declared end;
- no file: whatever no file covers.

Only decoded frames can fail, and which frames are decoded depends on the sampling rate
(keyframes alone when they come at least once an interval), so `coverage` decodes at
the run's rate (`--rate`, the same default) and sees what the run sees; the decoder's
errors are kept on their own packet whatever its thread count (slice threads only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from rules.calendar import CoverageGap
from rules.intervals import Interval, merge, seconds

# Frame-scale differences between a container's declared and real length are not gaps.
TOLERANCE = timedelta(milliseconds=100)


class GapReason(StrEnum):
    NO_FILE = "no file"
    UNREADABLE = "unreadable"
    TRUNCATED = "truncated"
    DECODE_ERROR = "decode error"


@dataclass(frozen=True)
class Coverage:
    camera: str
    window: Interval
    observed: tuple[Interval, ...]
    gaps: tuple[CoverageGap, ...]

    @property
    def observed_s(self) -> float:
        return seconds(self.observed)


def assemble(
    camera: str, window: Interval, observed: Iterable[Interval], gaps: Iterable[CoverageGap]
) -> Coverage:
    """Coverage of `window`: observed time merged, every unobserved stretch a gap with the
    reason the files gave for it, and "no file" where no file said anything."""
    lo, hi = window
    seen = merge(((max(a, lo), min(b, hi)) for a, b in observed if b > lo and a < hi), TOLERANCE)
    explained = sorted(gaps, key=lambda g: g.start)
    out: list[CoverageGap] = []
    cursor = lo
    for a, b in [*seen, (hi, hi)]:
        if a - cursor > TOLERANCE:
            out.extend(_explain(cursor, a, explained))
        cursor = max(cursor, b)
    return Coverage(
        camera, window, tuple(seen), tuple(replace(g, camera=camera) for g in _join(out))
    )


def _explain(lo: datetime, hi: datetime, gaps: list[CoverageGap]) -> list[CoverageGap]:
    """Split the unobserved [lo, hi) by the reasons given; the rest is "no file"."""
    out, cursor = [], lo
    for gap in gaps:
        a, b = max(gap.start, cursor), min(gap.end, hi)
        if b <= a:
            continue
        if a > cursor:
            out.append(CoverageGap(cursor, a, GapReason.NO_FILE))
        out.append(replace(gap, start=a, end=b))
        cursor = b
    if hi > cursor:
        out.append(CoverageGap(cursor, hi, GapReason.NO_FILE))
    return out


def _join(gaps: list[CoverageGap]) -> list[CoverageGap]:
    """Adjacent gaps of one reason become one; slivers below the tolerance vanish."""
    out: list[CoverageGap] = []
    for gap in gaps:
        if out and out[-1].reason == gap.reason and gap.start - out[-1].end <= TOLERANCE:
            out[-1] = replace(out[-1], end=gap.end)
        elif gap.end - gap.start > TOLERANCE:
            out.append(gap)
    return out
