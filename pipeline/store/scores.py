"""Check scores kept in step with findings: recomputed in the transaction that changes them.

A repeat of an item within the month, or a finding of an item under an open rectification
order (pipeline/store/orders.py), doubles its deduction (`repeat_factor` in
rules/checklist.yaml), so a change to one day's findings can change the scores of the
later days of that month too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.store import models as m
from pipeline.store.orders import under_order
from rules.checklist import Checklist
from rules.findings import Finding, FindingStatus
from rules.scoring import score_check


def to_rule_finding(row: m.Finding) -> Finding:
    return Finding(
        item=row.item,
        branch=row.branch_id,
        cameras=tuple(row.cameras),
        zone=row.zone,
        start=row.start,
        end=row.end,
        confidence=row.confidence,
        status=FindingStatus(row.status),
        id=row.id,
    )


def month_bounds(day: date) -> tuple[date, date]:
    """The first day of `day`'s month and the first of the next: the period of repeats."""
    first = day.replace(day=1)
    return first, date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_findings(session: Session, branch_id: str, day: date) -> dict[date, list[Finding]]:
    """Check day → the branch's findings of `day`'s month: what its repeats are counted over."""
    first, next_month = month_bounds(day)
    rows = session.scalars(
        select(m.Finding).where(
            m.Finding.branch_id == branch_id, m.Finding.date >= first, m.Finding.date < next_month
        )
    ).all()
    by_day: dict[date, list[Finding]] = defaultdict(list)
    for row in rows:
        by_day[row.date].append(to_rule_finding(row))
    return dict(by_day)


def recompute_scores(session: Session, branch_id: str, day: date, checklist: Checklist) -> None:
    """Rewrite the check scores of `day` and of every later checked day of its month."""
    _, next_month = month_bounds(day)
    by_day = month_findings(session, branch_id, day)
    checks = session.scalars(
        select(m.CheckScore)
        .where(
            m.CheckScore.branch_id == branch_id,
            m.CheckScore.date >= day,
            m.CheckScore.date < next_month,
        )
        .order_by(m.CheckScore.date)
    ).all()
    now = datetime.now(UTC)
    ordered = under_order(session, branch_id)
    for check in checks:
        earlier = [f for d, fs in by_day.items() if d < check.date for f in fs]
        todays = by_day.get(check.date, [])
        score = score_check(todays, checklist, earlier=earlier, under_order=ordered(check.date))
        check.provisional = score.provisional
        check.final = score.final
        counts: dict[str, int] = defaultdict(int)
        for finding in todays:
            if finding.status is not FindingStatus.DISMISSED:
                counts[finding.item] += 1
        check.findings = dict(counts)
        check.updated_at = now
