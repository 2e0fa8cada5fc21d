"""The one algebra of half-open time spans: judged, known and unknown time.

The rules work in POSIX seconds (`Span`); footage and coverage in aware datetimes
(`Interval`). The operations only compare and order their ends, so they serve both.

Business hours 09:00-17:00 as seconds of the day, a lunch exemption, and what a camera saw:

>>> business, lunch = (32400, 61200), [(43200, 45000)]
>>> judged = subtract([business], lunch)
>>> judged
[(32400, 43200), (45000, 61200)]
>>> seen = merge([(32400, 40000), (39000, 50000), (52000, 61200)])
>>> seen
[(32400, 50000), (52000, 61200)]
>>> intersect(judged, seen)
[(32400, 43200), (45000, 50000), (52000, 61200)]
>>> total(subtract(judged, seen))  # judged time nobody saw: unknown, never absent
2000
>>> merge([(0, 10), (70, 80)], slack=60)  # a short hole bridged
[(0, 80)]
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

Span = tuple[float, float]  # POSIX seconds
#: seconds: POSIX timestamps as floats round, durations must not; every comparison of the
#: rules' times allows this much
EPS = 1e-6
Interval = tuple[datetime, datetime]  # aware wall-clock times

S = TypeVar("S", Span, Interval)


def merge(spans: Iterable[S], slack: Any = None) -> list[S]:
    """Sorted, non-overlapping, with touching spans joined (and spans less than `slack`
    apart, when given); empty spans dropped."""
    out: list = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        reach = out[-1][1] if out else None
        if reach is not None and (start <= reach or (slack is not None and start - reach <= slack)):
            out[-1] = (out[-1][0], max(reach, end))
        else:
            out.append((start, end))
    return out


def intersect(a: Iterable[S], b: Iterable[S]) -> list[S]:
    a, b = merge(a), merge(b)
    out: list = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Iterable[S], holes: Iterable[S]) -> list[S]:
    out: list = []
    holes = merge(holes)
    for start, end in merge(a):
        cursor = start
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= end:
                continue
            if h_start > cursor:
                out.append((cursor, h_start))
            cursor = max(cursor, h_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def total(spans: Iterable[Span]) -> float:
    return sum(end - start for start, end in spans)


def seconds(intervals: Iterable[Interval]) -> float:
    """Length of datetime intervals in seconds."""
    return sum((b - a).total_seconds() for a, b in intervals)
