"""The stored findings' stakes and fines (rules/fines.py): computed, never stored, from each
branch's findings of the month (the period in which the scores count repeats, grouped by
check day as pipeline/store/scores.recompute_scores groups them) and its open
rectification orders, so a review or an order changes them at once.

`stakes_of` is the one answer to "does this finding count double, and what does it cost":
the finding page, the queue, the branch page (api/queries.pricing), the weekly notice
(pipeline/report/notice.py) and the assessments and their exports (`incident_yuan`) read
it; the scores count repeats with the same rules/scoring.repeat_marks over the same days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.store import models as m
from pipeline.store.orders import open_orders, under_order
from pipeline.store.scores import month_findings
from rules.checklist import Checklist
from rules.findings import Finding, FindingStatus
from rules.fines import Fine, FineRule, Stake, stakes


def stakes_of(
    session: Session,
    rows: list[m.Finding],
    checklist: Checklist,
    rules: dict[str, FineRule],
) -> dict[str, Stake]:
    """Finding id → what confirming it does (did, once confirmed): whether it counts
    double, its points and its fine, each judged among its branch's findings of its month
    as the final score judges them."""
    months = {(r.branch_id, r.date.replace(day=1)) for r in rows}
    out: dict[str, Stake] = {}
    for branch, first in sorted(months):
        by_day = month_findings(session, branch, first)
        days = {f.id: day for day, found in by_day.items() for f in found}
        out |= stakes(
            [f for found in by_day.values() for f in found],
            checklist,
            rules,
            under_order=under_order(session, branch),
            day_of=lambda f, days=days: days[f.id],
        )
    wanted = {r.id for r in rows}
    return {k: v for k, v in out.items() if k in wanted}


def _why(stake: Stake | None, order: m.RectificationOrder | None) -> str:
    """Why a stake counts double, in both languages ("" when it does not)."""
    if stake is None or not stake.repeat:
        return ""
    if stake.under_order and order is not None:
        return (
            f"整改令 #{order.id} 未关闭，加倍扣分 · rectification order #{order.id} open: "
            "counts double"
        )
    return (
        "本月已确认同一问题，加倍扣分 · the same item was confirmed earlier this month: "
        "counts double"
    )


def double_reasons(
    session: Session, rows: list[m.Finding], staked: dict[str, Stake]
) -> dict[str, str]:
    """Finding id → why it counts double, in both languages ("" when it does not): the
    open rectification order of its item, or its item confirmed earlier in the month."""
    orders = {b: open_orders(session, b) for b in {r.branch_id for r in rows}}
    return {
        row.id: _why(
            staked.get(row.id),
            next((o for o in orders[row.branch_id](row.date) if o.item == row.item), None),
        )
        for row in rows
    }


def doubles_on(
    session: Session, branch_id: str, day: date, checklist: Checklist, rules: dict[str, FineRule]
) -> dict[str, str]:
    """Item → why a finding of it on `day` would count double (only the items that would):
    one untaken finding of each checklist item at the end of `day`, staked among the
    branch's findings of that month as `stakes_of` stakes a stored one, so the weekly
    notice's "what counts double" is what the scores will count."""
    by_day = month_findings(session, branch_id, day)
    branch = session.get(m.Branch, branch_id)
    late = datetime.combine(day, time(23, 59, 59), ZoneInfo(branch.timezone))
    asked = [
        Finding(item.code, branch_id, (), "", late, late, 1.0, id=f"next:{item.code}")
        for item in checklist.items
    ]
    days = {f.id: d for d, found in by_day.items() for f in found} | {f.id: day for f in asked}
    staked = stakes(
        [*(f for found in by_day.values() for f in found), *asked],
        checklist,
        rules,
        under_order=under_order(session, branch_id),
        day_of=lambda f: days[f.id],
    )
    orders = open_orders(session, branch_id)(day)
    out = {}
    for f in asked:
        why = _why(staked[f.id], next((o for o in orders if o.item == f.item), None))
        if why:
            out[f.item] = why
    return out


def fines_of(
    session: Session,
    rows: list[m.Finding],
    checklist: Checklist,
    rules: dict[str, FineRule],
) -> dict[str, Fine]:
    """Finding id → fine for those of `rows` that cost one (confirmed, an item with a
    rule)."""
    if not rules:
        return {}
    staked = stakes_of(session, rows, checklist, rules)
    return {
        r.id: staked[r.id].fine
        for r in rows
        if r.status == FindingStatus.CONFIRMED and r.id in staked and staked[r.id].fine is not None
    }


def incident_yuan(
    session: Session,
    in_period: Callable[[date], bool],
    checklist: Checklist,
    rules: dict[str, FineRule],
) -> dict[str, float]:
    """Branch → the fines of its confirmed findings dated in the period."""
    rows = [
        r
        for r in session.scalars(
            select(m.Finding).where(m.Finding.status == FindingStatus.CONFIRMED)
        )
        if in_period(r.date)
    ]
    fines = fines_of(session, rows, checklist, rules)
    out: dict[str, float] = defaultdict(float)
    for row in rows:
        if row.id in fines:
            out[row.branch_id] += fines[row.id].yuan
    return dict(out)
