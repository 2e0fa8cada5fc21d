"""What the units of a branch-day left in the database, read back for the rules and the
report: observations, observed spans, gaps and failures, in the branch's time zone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sqlalchemy import select

from detectors.observations import FrameObservation
from pipeline.store import models as m
from pipeline.store.compact import unpack
from pipeline.store.db import Database
from rules.calendar import CoverageGap
from rules.intervals import Interval


@dataclass(frozen=True)
class FailedUnit:
    """Footage the night could not review, and why: a failed unit (`branch/camera/file`),
    or a site file that could not be planned (its path), which costs its whole branch."""

    unit: str
    reason: str


@dataclass
class Stored:
    """What the units of a branch-day left in the database."""

    frames: list[FrameObservation] = field(default_factory=list)
    observed: dict[str, list[Interval]] = field(default_factory=lambda: defaultdict(list))
    gaps: dict[str, list[CoverageGap]] = field(default_factory=lambda: defaultdict(list))
    failed: list[FailedUnit] = field(default_factory=list)
    versions: set[str] = field(default_factory=set)


def gap_record(row: m.CoverageGap, tz: tzinfo) -> CoverageGap:
    return CoverageGap(row.start.astimezone(tz), row.end.astimezone(tz), row.reason, row.camera_id)


def load_stored(db: Database, branch: str, on: date, tz: tzinfo) -> Stored:
    """The observations, observed spans, gaps and failures of a branch-day's units."""
    out = Stored()
    with db.session() as s:
        units = s.scalars(
            select(m.WorkUnit).where(m.WorkUnit.branch_id == branch, m.WorkUnit.date == on)
        ).all()
        for row in sorted(units, key=lambda r: (r.camera_id, r.key)):
            out.gaps[row.camera_id] += [
                CoverageGap(datetime.fromtimestamp(a, tz), datetime.fromtimestamp(b, tz), why)
                for a, b, why in row.gaps or ()
            ]
            if row.status == m.DONE:
                out.frames += unpack(row.observations, row.camera_id, tz)
                out.observed[row.camera_id] += [
                    (datetime.fromtimestamp(a, tz), datetime.fromtimestamp(b, tz))
                    for a, b in row.observations["observed"]
                ]
                out.versions.add(row.detector_version)
            elif row.status == m.FAILED:
                out.failed.append(FailedUnit(f"{branch}/{row.camera_id}/{row.key}", row.reason))
    return out


def day_gaps(db: Database, branch: str, on: date, tz: tzinfo) -> list[CoverageGap]:
    """The gaps the rules reported for a branch-day (business time no camera saw)."""
    with db.session() as s:
        rows = s.scalars(
            select(m.CoverageGap)
            .where(m.CoverageGap.branch_id == branch, m.CoverageGap.date == on)
            .order_by(m.CoverageGap.camera_id, m.CoverageGap.start)
        ).all()
        return [gap_record(g, tz) for g in rows]
