"""The stored findings' fines (rules/fines.py): computed, never stored, from each branch's
findings of the month (the period in which the scores count repeats) and its open
rectification orders, so a review or an order changes them at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.store import models as m
from pipeline.store.orders import told_to_fix
from pipeline.store.scores import month_bounds, to_rule_finding
from rules.checklist import Checklist
from rules.fines import Fine, FineRule, finding_fines


def fines_of(
    session: Session,
    rows: list[m.Finding],
    checklist: Checklist,
    rules: dict[str, FineRule],
) -> dict[str, Fine]:
    """Finding id → fine for those of `rows` that cost one (confirmed, an item with a
    rule), each judged among its branch's findings of its month."""
    if not rules:
        return {}
    months = {(r.branch_id, month_bounds(r.date)) for r in rows}
    out: dict[str, Fine] = {}
    for branch, (first, after) in sorted(months):
        month = session.scalars(
            select(m.Finding).where(
                m.Finding.branch_id == branch, m.Finding.date >= first, m.Finding.date < after
            )
        ).all()
        out |= finding_fines(
            [to_rule_finding(r) for r in month],
            checklist,
            rules,
            told_to_fix=told_to_fix(session, branch),
        )
    wanted = {r.id for r in rows}
    return {k: v for k, v in out.items() if k in wanted}


def incident_yuan(
    session: Session,
    in_period: Callable[[date], bool],
    checklist: Checklist,
    rules: dict[str, FineRule],
) -> dict[str, float]:
    """Branch → the fines of its confirmed findings dated in the period."""
    rows = [
        r
        for r in session.scalars(select(m.Finding).where(m.Finding.status == "confirmed"))
        if in_period(r.date)
    ]
    fines = fines_of(session, rows, checklist, rules)
    out: dict[str, float] = defaultdict(float)
    for row in rows:
        if row.id in fines:
            out[row.branch_id] += fines[row.id].yuan
    return dict(out)
