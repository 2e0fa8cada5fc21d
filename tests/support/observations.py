"""Hand-written observation series: a branch day and frames built from present/absent runs
(and, for the windowed items, several zones a frame)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from rules.calendar import BusinessDay
from rules.checklist import Checklist

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2024, 3, 5)  # a Tuesday
OPEN = datetime(2024, 3, 5, 9, 0, tzinfo=TZ)
CLOSE = datetime(2024, 3, 5, 17, 0, tzinfo=TZ)


def business_day(exempt: dict | None = None, opening=OPEN, closing=CLOSE, **kw) -> BusinessDay:
    return BusinessDay(DAY, opening, closing, exempt or {}, **kw)


def at(seconds: float) -> datetime:
    return OPEN + timedelta(seconds=seconds)


def frame(
    seconds: float,
    camera: str = "counter-1",
    zone: str = "post-1",
    purpose: ZonePurpose = ZonePurpose.TELLER_POST,
    **fields,
) -> FrameObservation:
    return FrameObservation(at(seconds), camera, {zone: ZoneObservation(zone, purpose, **fields)})


def zones_at(seconds: float, camera: str, *zones: ZoneObservation) -> FrameObservation:
    """One camera's frame showing several zones."""
    return FrameObservation(at(seconds), camera, {z.zone_id: z for z in zones})


def series(times, present, **kwargs) -> list[FrameObservation]:
    """Frames at `times` (seconds after opening); `present(t)` says if the post is manned."""
    return [frame(t, present=present(t), **kwargs) for t in times]


def every(start: float, end: float, step: float = 2.0) -> list[float]:
    """Sample times start, start+step, … up to but excluding end."""
    return [start + i * step for i in range(math.ceil((end - start) / step))]


def zone_items(checklist: Checklist) -> Checklist:
    """The checklist without FOOTAGE_MISSING, for series that cover only part of a business
    day on purpose: the rest of the day is unknown, which that item judges (its own tests
    are in tests/rules/test_footage.py)."""
    items = tuple(
        i.model_copy(update={"enabled": False}) if i.code == "FOOTAGE_MISSING" else i
        for i in checklist.items
    )
    return checklist.model_copy(update={"items": items})
