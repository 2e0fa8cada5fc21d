"""A branch-day, once all its units are in: rules → findings → scores → evidence.

It reads every unit back from the database, never from the run's memory, so a resumed
or repeated run reviews exactly what an uninterrupted one would. Findings are upserted by
their content-derived id: a re-run keeps a finding's review status and reviews, and drops
only the pending findings the footage no longer produces.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

from sqlalchemy import delete, select

from detectors.base import Detector
from pipeline.batch.compact import unpack
from pipeline.batch.units import BranchDay
from pipeline.batch.worker import DONE, FAILED
from pipeline.coverage import Gap, Interval, assemble
from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.scores import recompute_scores
from rules.calendar import CoverageGap
from rules.checklist import Checklist
from rules.findings import Finding, FindingStatus
from rules.temporal import DayReview, review_day

log = logging.getLogger(__name__)


@dataclass
class BranchReport:
    branch: str
    date: str
    open: bool
    score: float | None = None
    #: mean over the site's cameras of the share of business hours each saw
    coverage: float | None = None
    detector_version: str = ""
    findings: list[dict] = field(default_factory=list)
    failed_units: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Stored:
    """What the units of a branch-day left in the database."""

    frames: list = field(default_factory=list)
    observed: dict[str, list[Interval]] = field(default_factory=lambda: defaultdict(list))
    gaps: dict[str, list[Gap]] = field(default_factory=lambda: defaultdict(list))
    failed: list[dict] = field(default_factory=list)
    versions: set[str] = field(default_factory=set)


def aware(t: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything here was stored in UTC."""
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def load_stored(db: Database, branch: str, on: date, tz: tzinfo) -> Stored:
    """The observations, observed spans, gaps and failures of a branch-day's units."""
    out = Stored()
    with db.session() as s:
        units = s.scalars(
            select(m.WorkUnit).where(m.WorkUnit.branch_id == branch, m.WorkUnit.date == on)
        ).all()
        for row in sorted(units, key=lambda r: (r.camera_id, r.key)):
            if row.status == DONE:
                out.frames += unpack(row.observations, row.camera_id, tz)
                out.observed[row.camera_id] += [
                    (datetime.fromtimestamp(a, tz), datetime.fromtimestamp(b, tz))
                    for a, b in row.observations["observed"]
                ]
                out.versions.add(row.detector_version)
            elif row.status == FAILED:
                out.failed.append(
                    {"unit": f"{branch}/{row.camera_id}/{row.key}", "reason": row.reason}
                )
        for gap in s.scalars(
            select(m.CoverageGap).where(
                m.CoverageGap.branch_id == branch,
                m.CoverageGap.date == on,
                m.CoverageGap.unit_id.is_not(None),
            )
        ):
            out.gaps[gap.camera_id].append(
                Gap(aware(gap.start).astimezone(tz), aware(gap.end).astimezone(tz), gap.reason)
            )
    return out


def _reported_gaps(bd: BranchDay, stored: Stored) -> list[CoverageGap]:
    """Per camera, business time no file showed: the files' reasons, else "no file"."""
    window = (bd.business.opening, bd.business.closing)
    return [
        CoverageGap(camera.id, gap.start, gap.end, str(gap.reason))
        for camera in bd.site.cameras
        for gap in assemble(
            camera.id, window, stored.observed[camera.id], stored.gaps[camera.id]
        ).gaps
    ]


def _store(
    db: Database,
    bd: BranchDay,
    review: DayReview,
    checklist: Checklist,
    run_id: int,
    version: str,
    coverage: float,
) -> float:
    """Upsert findings, replace the day's gaps, rescore; returns the provisional score."""
    now = datetime.now(UTC)
    with db.session() as s:
        existing = {
            row.id: row
            for row in s.scalars(
                select(m.Finding).where(m.Finding.branch_id == bd.branch, m.Finding.date == bd.date)
            )
        }
        for finding in review.findings:
            row = existing.pop(finding.id, None)
            if row is None:
                row = m.Finding(id=finding.id, status=str(FindingStatus.PENDING), created_at=now)
                s.add(row)
            row.branch_id, row.date, row.item, row.zone = (
                bd.branch,
                bd.date,
                finding.item,
                finding.zone,
            )
            row.cameras = list(finding.cameras)
            row.start, row.end = finding.start.astimezone(UTC), finding.end.astimezone(UTC)
            row.duration_s = round(finding.duration.total_seconds(), 3)
            row.confidence = round(finding.confidence, 4)
            row.support = [t.isoformat() for t in finding.support]
            row.detector_version, row.run_id, row.updated_at = version, run_id, now
        for row in existing.values():  # no longer produced
            if row.status == FindingStatus.PENDING and not row.reviews and not row.appeals:
                s.delete(row)
        s.execute(
            delete(m.CoverageGap).where(
                m.CoverageGap.branch_id == bd.branch,
                m.CoverageGap.date == bd.date,
                m.CoverageGap.unit_id.is_(None),
            )
        )
        s.add_all(
            m.CoverageGap(
                branch_id=bd.branch,
                date=bd.date,
                camera_id=g.camera,
                start=g.start.astimezone(UTC),
                end=g.end.astimezone(UTC),
                reason=g.reason,
            )
            for g in review.gaps
        )
        check = s.get(m.CheckScore, (bd.branch, bd.date))
        if check is None:
            check = m.CheckScore(
                branch_id=bd.branch,
                date=bd.date,
                provisional=100.0,
                final=100.0,
                findings={},
                updated_at=now,
            )
            s.add(check)
        check.coverage = coverage
        s.flush()
        recompute_scores(s, bd.branch, bd.date, checklist)
        return check.provisional


def _keytime(finding: Finding) -> datetime:
    """The violating sample nearest the middle: the frame that best shows the finding."""
    middle = finding.start + finding.duration / 2
    return min(finding.support, key=lambda t: abs(t - middle), default=middle)


def _has_files(root: Path, row: m.Finding) -> bool:
    return bool(row.clip and row.keyframe) and all(
        (root / p).is_file() for p in (row.clip, row.keyframe)
    )


def _evidence(
    db: Database,
    bd: BranchDay,
    findings: tuple[Finding, ...],
    root: Path,
    detector: Callable[[], Detector],
) -> None:
    """Clips and key frames for the findings that have none yet, one finding at a time so
    a slow clip holds no transaction open."""
    from pipeline.evidence import EvidenceError, EvidenceRequest, write_evidence

    with db.session() as s:
        rows = {f.id: s.get(m.Finding, f.id) for f in findings}
        todo = [f for f in findings if not _has_files(root, rows[f.id])]
    for finding in todo:
        camera = finding.cameras[0]
        plan = bd.camera(camera)
        request = EvidenceRequest(
            finding_id=finding.id,
            item=finding.item,
            camera=camera,
            zone_id=finding.zone,
            start=finding.start,
            end=finding.end,
            keytime=_keytime(finding),
            segments=plan.segments,
            zones=plan.units[0].zones if plan.units else (),
        )
        try:
            evidence = write_evidence(request, detector(), root)
        except EvidenceError as exc:
            log.warning("finding %s: no evidence: %s", finding.id, exc)
            continue
        with db.session() as s:
            row = s.get(m.Finding, finding.id)
            row.clip, row.keyframe = evidence.clip, evidence.keyframe


def review_branch_day(
    db: Database,
    bd: BranchDay,
    checklist: Checklist,
    run_id: int,
    evidence_root: Path | None,
    detector: Callable[[], Detector],
) -> BranchReport:
    """Everything after the units: `detector` is called only if evidence must be made."""
    report = BranchReport(bd.branch, bd.date.isoformat(), bd.business is not None)
    if bd.business is None:
        return report
    t0 = time.perf_counter()
    stored = load_stored(db, bd.branch, bd.date, bd.site.tz)
    review = review_day(
        stored.frames,
        bd.business,
        checklist,
        branch=bd.branch,
        zones=bd.site.schedule().zones,
        gaps=_reported_gaps(bd, stored),
    )
    cameras = [c.id for c in bd.site.cameras]
    report.coverage = sum(review.coverage.get(c, 0.0) for c in cameras) / len(cameras)
    report.detector_version = ",".join(sorted(stored.versions))
    report.score = _store(
        db, bd, review, checklist, run_id, report.detector_version, report.coverage
    )
    t1 = time.perf_counter()
    if evidence_root is not None and review.findings:
        _evidence(db, bd, review.findings, evidence_root, detector)
    report.timings = {"rules": t1 - t0, "evidence": time.perf_counter() - t1}
    report.failed_units = stored.failed
    report.findings = _finding_rows(db, review.findings)
    return report


def _finding_rows(db: Database, findings: tuple[Finding, ...]) -> list[dict]:
    with db.session() as s:
        rows = [s.get(m.Finding, f.id) for f in findings]
        return [
            {
                "id": f.id,
                "item": f.item,
                "camera": f.cameras[0],
                "zone": f.zone,
                "start": f.start.isoformat(),
                "end": f.end.isoformat(),
                "status": row.status,
                "clip": row.clip,
                "keyframe": row.keyframe,
            }
            for f, row in zip(findings, rows, strict=True)
        ]
