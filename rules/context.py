"""One branch-day as every rule reads it: the record the per-sample items
(rules/temporal.py) and the windowed ones (rules/windowed.py) are judged on, built once by
`judge_day`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from detectors.observations import FrameObservation
from rules.calendar import BusinessDay, ZoneRef
from rules.checklist import Checklist
from rules.intervals import Span


@dataclass(frozen=True)
class DayContext:
    branch: str
    day: BusinessDay
    checklist: Checklist
    #: camera → its samples, in time order
    frames: Mapping[str, list[FrameObservation]]
    #: camera → the time it saw (POSIX seconds): samples at most `max_gap_s` apart
    known: Mapping[str, list[Span]]
    #: the site's zones, and those only the observations name
    zones: Sequence[ZoneRef]

    @property
    def tz(self) -> tzinfo:
        """The branch's clock, which findings' times are on."""
        tz = self.day.opening.tzinfo
        assert tz is not None  # BusinessDay refuses naive times
        return tz

    def at(self, t: float) -> datetime:
        """A POSIX time on the branch's clock."""
        return datetime.fromtimestamp(t, self.tz)
