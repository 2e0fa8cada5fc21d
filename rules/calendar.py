"""When a branch is judged (business hours, exempt windows) and where it was not seen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from detectors.observations import ZonePurpose


@dataclass(frozen=True)
class ExemptWindow:
    """Wall-clock times of a day in which the listed items are not judged."""

    start: time
    end: time
    items: frozenset[str]


@dataclass(frozen=True)
class BusinessDay:
    """One day's judged time of one branch; `exempt` holds aware windows per item."""

    date: date
    opening: datetime
    closing: datetime
    exempt: Mapping[str, tuple[tuple[datetime, datetime], ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.opening.tzinfo is None or self.closing.tzinfo is None:
            raise ValueError("business hours need time-zone-aware datetimes")
        if self.closing <= self.opening:
            raise ValueError("closing must be after opening")


@dataclass(frozen=True)
class CoverageGap:
    """Time a camera did not see, and why: no file, unreadable, truncated, a failed unit,
    too dark, blocked. The one record of unknown time from the sampler to the rules; the
    sampler leaves `camera` empty (a file knows no camera), its caller fills it in."""

    start: datetime
    end: datetime
    reason: str
    camera: str = ""


@dataclass(frozen=True)
class ZoneRef:
    """A zone of one camera; the same zone id on several cameras is one place seen twice."""

    camera: str
    zone_id: str
    purpose: ZonePurpose


@dataclass(frozen=True)
class BranchSchedule:
    """What the rules need of a site file: identity, weekly hours, exempt windows, zones."""

    branch: str
    region: str
    timezone: str
    #: weekday (Monday = 0) → (opening, closing); a day not listed is closed
    hours: Mapping[int, tuple[time, time]]
    exempt: tuple[ExemptWindow, ...] = ()
    zones: tuple[ZoneRef, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def day(self, on: date) -> BusinessDay | None:
        """The business day on a date, or None when the branch is closed."""
        hours = self.hours.get(on.weekday())
        if hours is None:
            return None
        tz = self.tz
        exempt: dict[str, list[tuple[datetime, datetime]]] = {}
        for window in self.exempt:
            span = (datetime.combine(on, window.start, tz), datetime.combine(on, window.end, tz))
            for code in window.items:
                exempt.setdefault(code, []).append(span)
        return BusinessDay(
            date=on,
            opening=datetime.combine(on, hours[0], tz),
            closing=datetime.combine(on, hours[1], tz),
            exempt={code: tuple(spans) for code, spans in exempt.items()},
        )
