"""What of a camera's window was actually seen, and why the rest was not.

Later stages must treat a gap as unknown, never as absence: every second of the window is
either observed or inside a gap with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

Interval = tuple[datetime, datetime]

# Frame-scale differences between a container's declared and real length are not gaps.
TOLERANCE = timedelta(milliseconds=100)


class GapReason(StrEnum):
    NO_FILE = "no file"
    UNREADABLE = "unreadable"
    TRUNCATED = "truncated"
    DECODE_ERROR = "decode error"


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime
    #: a GapReason, or a free text such as "unit failed: …" for a file whose work failed
    reason: GapReason | str


@dataclass(frozen=True)
class Coverage:
    camera: str
    window: Interval
    observed: tuple[Interval, ...]
    gaps: tuple[Gap, ...]

    @property
    def observed_s(self) -> float:
        return sum((b - a).total_seconds() for a, b in self.observed)


def merge(intervals: Iterable[Interval], slack: timedelta = TOLERANCE) -> list[Interval]:
    """Union of intervals; ones closer than `slack` are joined."""
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + slack:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif b > a:
            out.append((a, b))
    return out


def assemble(
    camera: str, window: Interval, observed: Iterable[Interval], gaps: Iterable[Gap]
) -> Coverage:
    """Coverage of `window`: observed time merged, every unobserved stretch a gap with the
    reason the files gave for it, and "no file" where no file said anything."""
    lo, hi = window
    seen = merge((max(a, lo), min(b, hi)) for a, b in observed if b > lo and a < hi)
    explained = sorted(gaps, key=lambda g: g.start)
    out: list[Gap] = []
    cursor = lo
    for a, b in [*seen, (hi, hi)]:
        if a - cursor > TOLERANCE:
            out.extend(_explain(cursor, a, explained))
        cursor = max(cursor, b)
    return Coverage(camera, window, tuple(seen), tuple(_join(out)))


def _explain(lo: datetime, hi: datetime, gaps: list[Gap]) -> list[Gap]:
    """Split the unobserved [lo, hi) by the reasons given; the rest is "no file"."""
    out, cursor = [], lo
    for gap in gaps:
        a, b = max(gap.start, cursor), min(gap.end, hi)
        if b <= a:
            continue
        if a > cursor:
            out.append(Gap(cursor, a, GapReason.NO_FILE))
        out.append(Gap(a, b, gap.reason))
        cursor = b
    if hi > cursor:
        out.append(Gap(cursor, hi, GapReason.NO_FILE))
    return out


def _join(gaps: list[Gap]) -> list[Gap]:
    """Adjacent gaps of one reason become one; slivers below the tolerance vanish."""
    out: list[Gap] = []
    for gap in gaps:
        if out and out[-1].reason == gap.reason and gap.start - out[-1].end <= TOLERANCE:
            out[-1] = Gap(out[-1].start, gap.end, gap.reason)
        elif gap.end - gap.start > TOLERANCE:
            out.append(gap)
    return out
