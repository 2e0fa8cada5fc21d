"""When a branch is judged (business hours, exempt windows) and where it was not seen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from detectors.observations import ZonePurpose
from rules.intervals import Span, subtract

#: minutes before opening the morning meeting is looked for in, unless the site says
MEETING_WINDOW = (45, 5)


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
    #: minutes before opening: the morning meeting's window (from, to)
    meeting_before: tuple[float, float] = MEETING_WINDOW

    def __post_init__(self) -> None:
        if self.opening.tzinfo is None or self.closing.tzinfo is None:
            raise ValueError("business hours need time-zone-aware datetimes")
        if self.closing <= self.opening:
            raise ValueError("closing must be after opening")
        if not self.meeting_before[0] > self.meeting_before[1] >= 0:
            raise ValueError("the meeting window runs from more minutes before opening to fewer")

    @property
    def meeting(self) -> tuple[datetime, datetime]:
        """The window before opening in which the morning meeting is held (MORNING_MEETING):
        the only time outside business hours any item judges."""
        start, end = (self.opening - timedelta(minutes=m) for m in self.meeting_before)
        return start, end

    def judged(self, item: str, window: tuple[datetime, datetime] | None = None) -> list[Span]:
        """Where `item` is judged, in POSIX seconds: `window` (business hours unless given)
        minus the item's exempt windows."""
        lo, hi = window or (self.opening, self.closing)
        exempt = [(a.timestamp(), b.timestamp()) for a, b in self.exempt.get(item, ())]
        return subtract([(lo.timestamp(), hi.timestamp())], exempt)


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
    #: one-metre zones: the teller post whose window it stands before (HAND_RAISE); not
    #: part of the zone's identity, so a zone seen in observations is the site's zone
    post: str | None = field(default=None, compare=False)


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
    #: minutes before opening: the morning meeting's window (from, to)
    meeting_before: tuple[float, float] = MEETING_WINDOW

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
            meeting_before=self.meeting_before,
        )


def weekly_hours(schedule: BranchSchedule) -> dict[str, list[str]]:
    """A calendar as stored with its branch: weekday (Monday = 0, as text) → [opening,
    closing] "HH:MM"; `open_days` reads it back."""
    return {
        str(day): [a.strftime("%H:%M"), b.strftime("%H:%M")]
        for day, (a, b) in sorted(schedule.hours.items())
    }


def open_days(hours: Mapping[str, object], first: date, last: date) -> list[date]:
    """The dates from `first` to `last` (inclusive) on which a stored calendar
    (`weekly_hours`) says the branch was open."""
    weekdays = {int(d) for d in hours}
    count = (last - first).days + 1
    days = (first + timedelta(days=n) for n in range(max(count, 0)))
    return [d for d in days if d.weekday() in weekdays]
