"""A branch-day's judgement stored: findings upserted by their content-derived id, the
day's gaps replaced, its check score recomputed, in one transaction.

A re-run keeps a finding's review status and reviews, and drops only the pending findings
the footage no longer produces (those nobody reviewed or appealed).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import delete, select

from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.scores import recompute_scores
from rules.checklist import Checklist
from rules.findings import FindingStatus
from rules.temporal import DayJudgement


def save_judgement(
    db: Database,
    branch: str,
    on: date,
    judgement: DayJudgement,
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
                select(m.Finding).where(m.Finding.branch_id == branch, m.Finding.date == on)
            )
        }
        for finding in judgement.findings:
            row = existing.pop(finding.id, None)
            if row is None:
                row = m.Finding(id=finding.id, status=str(FindingStatus.PENDING), created_at=now)
                s.add(row)
            row.branch_id, row.date, row.item, row.zone = branch, on, finding.item, finding.zone
            row.cameras = list(finding.cameras)
            row.start, row.end = finding.start, finding.end
            row.duration_s = round(finding.duration.total_seconds(), 3)
            row.confidence = round(finding.confidence, 4)
            row.support = [t.isoformat() for t in finding.support]
            row.detector_version, row.run_id, row.updated_at = version, run_id, now
        for row in existing.values():  # no longer produced
            if row.status == FindingStatus.PENDING and not row.reviews and not row.appeals:
                s.delete(row)
        s.execute(
            delete(m.CoverageGap).where(m.CoverageGap.branch_id == branch, m.CoverageGap.date == on)
        )
        s.add_all(
            m.CoverageGap(
                branch_id=branch, date=on, camera_id=g.camera, start=g.start, end=g.end,
                reason=g.reason,
            )
            for g in judgement.gaps
        )  # fmt: skip
        check = s.get(m.CheckScore, (branch, on))
        if check is None:
            check = m.CheckScore(
                branch_id=branch, date=on, provisional=100.0, final=100.0, findings={},
                updated_at=now,
            )  # fmt: skip
            s.add(check)
        check.coverage = coverage
        s.flush()
        recompute_scores(s, branch, on, checklist)
        return check.provisional


def finding_rows(db: Database, ids: list[str]) -> list[m.Finding]:
    """The stored rows of these findings, in the same order."""
    with db.session() as s:
        return [s.get(m.Finding, i) for i in ids]
