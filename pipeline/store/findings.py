"""A branch-day's judgement stored: findings upserted by their content-derived id, the
day's gaps replaced, its check score recomputed, in one transaction.

One incident, one row. A finding someone has acted on is *held*: reviewed, appealed,
or cited by a rectification order. A re-run keeps every held finding with its review
and drops only the pending ones the footage no longer produces. A new finding that
overlaps a held one of the same item, zone and camera (new settings or weights move its
edges, so its content-derived id differs) is that incident again: it is recorded on the
held row as `redetected`, never stored as a second finding, so it is never a second
deduction or fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.scores import recompute_scores
from rules.checklist import Checklist
from rules.findings import Finding, FindingStatus
from rules.temporal import DayJudgement


@dataclass(frozen=True)
class Saved:
    """What the store made of a judgement: the provisional score, and for each of its
    findings the id of the row that holds its incident (its own, or a held one's)."""

    score: float
    rows: dict[str, str]


def _held(row: m.Finding, cited: set[str]) -> bool:
    """Someone acted on it: a re-run neither drops it nor adds a second of its incident."""
    return (
        row.status != FindingStatus.PENDING or bool(row.reviews or row.appeals) or (row.id in cited)
    )


def _same_incident(finding: Finding, row: m.Finding) -> bool:
    """Same item, zone and camera, and their times overlap (touching counts: a
    once-a-day item's finding is an instant)."""
    return (
        row.item == finding.item
        and row.zone == finding.zone
        and bool(set(row.cameras) & set(finding.cameras))
        and finding.start <= row.end
        and row.start <= finding.end
    )


def _cited(s: Session, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    return set(
        s.scalars(
            select(m.RectificationOrder.finding_id).where(m.RectificationOrder.finding_id.in_(ids))
        )
    )


def save_judgement(
    db: Database,
    branch: str,
    on: date,
    judgement: DayJudgement,
    checklist: Checklist,
    run_id: int,
    version: str,
    coverage: float,
) -> Saved:
    """Upsert findings (a held incident's re-detection onto its row), replace the day's
    gaps, rescore."""
    now = datetime.now(UTC)
    with db.session() as s:
        existing = {
            row.id: row
            for row in s.scalars(
                select(m.Finding)
                .where(m.Finding.branch_id == branch, m.Finding.date == on)
                .options(selectinload(m.Finding.reviews), selectinload(m.Finding.appeals))
            )
        }
        cited = _cited(s, list(existing))
        produced = {f.id for f in judgement.findings}
        held = [r for r in existing.values() if _held(r, cited) and r.id not in produced]
        for row in existing.values():
            row.redetected = None  # the latest judgement says again what it re-detected
        rows: dict[str, str] = {}
        for finding in judgement.findings:
            row = existing.pop(finding.id, None)
            if row is None:
                same = next((r for r in held if _same_incident(finding, r)), None)
                if same is not None:
                    rows[finding.id] = same.id
                    same.redetected = [
                        *(same.redetected or []),
                        {"start": finding.start.isoformat(), "end": finding.end.isoformat(),
                         "run_id": run_id, "detector_version": version},
                    ]  # fmt: skip
                    continue
                row = m.Finding(id=finding.id, status=str(FindingStatus.PENDING), created_at=now)
                s.add(row)
            rows[finding.id] = row.id
            row.branch_id, row.date, row.item, row.zone = branch, on, finding.item, finding.zone
            row.cameras = list(finding.cameras)
            row.start, row.end = finding.start, finding.end
            row.duration_s = round(finding.duration.total_seconds(), 3)
            row.confidence = round(finding.confidence, 4)
            row.support = [t.isoformat() for t in finding.support]
            row.detector_version, row.run_id, row.updated_at = version, run_id, now
        for row in existing.values():  # no longer produced
            if not _held(row, cited):
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
        return Saved(check.provisional, rows)


def finding_rows(db: Database, ids: list[str]) -> list[m.Finding]:
    """The stored rows of these findings, in the same order."""
    with db.session() as s:
        return [s.get(m.Finding, i) for i in ids]
