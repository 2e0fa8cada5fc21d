"""The query layer: lookups scoped to the caller, the lists and assessments that the JSON
routes and the pages both serve, and the one way a finding's status changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import cache

import pandas as pd
from fastapi import HTTPException
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.auth import Can, Principal, lock_branch, scoped, visible_branches
from api.errors import PeriodRefused
from api.schemas import (
    AppealOut,
    AssessmentOut,
    FindingOut,
    Page,
    PeriodOut,
    Pricing,
    appeal_out,
    finding_out,
)
from pipeline.site import site_zones
from pipeline.store import models as m
from pipeline.store.fines import fines_of, incident_yuan
from pipeline.store.orders import open_orders
from pipeline.store.scores import recompute_scores
from rules.assessment import assessment_rows
from rules.calendar import ZoneRef
from rules.checklist import Checklist
from rules.fines import FineRule
from rules.periods import PeriodError
from rules.policies import Policy, load_policy
from rules.wording import finding_zone


def branch_or_404(session: Session, principal: Principal, branch_id: str) -> m.Branch:
    row = session.scalars(
        scoped(select(m.Branch), principal, m.Branch.id).where(m.Branch.id == branch_id)
    ).one_or_none()
    if row is None:
        raise HTTPException(404, f"no branch {branch_id}")
    return row


def finding_or_404(session: Session, principal: Principal, finding_id: str) -> m.Finding:
    row = session.scalars(
        scoped(select(m.Finding), principal, m.Finding.branch_id).where(m.Finding.id == finding_id)
    ).one_or_none()
    if row is None:
        raise HTTPException(404, f"no finding {finding_id}")
    return row


def timezone_of(session: Session, branch_id: str) -> str:
    return session.get(m.Branch, branch_id).timezone


def audit(session: Session, principal: Principal, action: str, finding_id: str, **detail) -> None:
    session.add(
        m.AuditEntry(
            at=datetime.now(UTC),
            actor=principal.name,
            action=action,
            finding_id=finding_id,
            detail={"role": str(principal.role), **detail},
        )
    )


def change_status(
    session: Session, finding: m.Finding, seen: str, new: str, checklist: Checklist
) -> None:
    """Move `finding` from `seen` to `new` and rescore its branch, or 409 if someone else
    changed it first: the update only matches while the status is still the one seen."""
    lock_branch(session, finding.branch_id)
    done = session.execute(
        update(m.Finding)
        .where(m.Finding.id == finding.id, m.Finding.status == seen)
        .values(status=new, updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        session.refresh(finding)
        last = finding.reviews[-1] if finding.reviews else None
        by = f" by {last.reviewer} at {last.at:%Y-%m-%d %H:%M:%S} UTC" if last else ""
        raise HTTPException(
            409,
            f"finding {finding.id} is {finding.status}{by}, not {seen} as you saw it; "
            f"reload it, and send seen_status={finding.status} to change it on purpose",
        )
    session.refresh(finding)
    recompute_scores(session, finding.branch_id, finding.date, checklist)


def appeal_of(session: Session, finding_id: str) -> m.Appeal | None:
    """The finding's latest appeal, read afresh (call with the branch locked)."""
    return session.scalars(
        select(m.Appeal).where(m.Appeal.finding_id == finding_id).order_by(m.Appeal.id.desc())
    ).first()


def decision_of(entry: m.Appeal) -> str:
    return f"{entry.status} by {entry.decided_by} at {entry.decided_at:%Y-%m-%d %H:%M:%S} UTC"


def check_of(session: Session, branch_id: str, day) -> m.CheckScore | None:
    return session.get(m.CheckScore, (branch_id, day))


def find_findings(
    session: Session,
    checklist: Checklist,
    fines: dict[str, FineRule],
    principal: Principal,
    branch: str | None = None,
    day: date | None = None,
    item: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[FindingOut]:
    """The caller's findings matching the filters, oldest first, one page of them."""
    stmt = scoped(
        select(m.Finding, m.Branch.timezone).join(m.Branch), principal, m.Finding.branch_id
    )
    if branch is not None:
        branch_or_404(session, principal, branch)
        stmt = stmt.where(m.Finding.branch_id == branch)
    if day is not None:
        stmt = stmt.where(m.Finding.date == day)
    if item is not None:
        stmt = stmt.where(m.Finding.item == item)
    if status is not None:
        stmt = stmt.where(m.Finding.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(
        stmt.order_by(m.Finding.start, m.Finding.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    prices = pricing(session, checklist, fines, [f for f, _ in rows])
    return Page[FindingOut](
        items=[finding_out(f, tz, checklist, prices[f.id]) for f, tz in rows],
        total=total,
        page=page,
        per_page=per_page,
    )


def find_appeals(
    session: Session, principal: Principal, status: str | None = None, branch: str | None = None
) -> list[AppealOut]:
    """Appeals of the findings the caller may read: those a branch filed, those of a
    supervisor's region, and all of them for the province and admins, who decide them."""
    if not principal.can(Can.READ_FINDINGS):
        raise HTTPException(403, f"role {principal.role} may not {Can.READ_FINDINGS}")
    stmt = scoped(select(m.Appeal).join(m.Finding), principal, m.Finding.branch_id)
    if status is not None:
        stmt = stmt.where(m.Appeal.status == status)
    if branch is not None:
        branch_or_404(session, principal, branch)
        stmt = stmt.where(m.Finding.branch_id == branch)
    return [appeal_out(a) for a in session.scalars(stmt.order_by(m.Appeal.id))]


@cache
def _policy(name: str) -> Policy:
    return load_policy(name)


def assess(
    session: Session,
    checklist: Checklist,
    principal: Principal,
    policy_name: str,
    label: str | None,
) -> AssessmentOut:
    """Every branch's final check scores enter the ranks (they are province-wide), the
    incomplete ones left out (rules/assessment.py); the caller then sees only the rows of
    the branches they may see."""
    policy = _policy(policy_name)
    rows = session.execute(
        select(
            m.CheckScore.branch_id, m.Branch.region, m.CheckScore.date, m.CheckScore.final,
            m.CheckScore.coverage,
        )
        .join(m.Branch)
        .order_by(m.CheckScore.branch_id, m.CheckScore.date)
    ).all()  # fmt: skip
    scores = pd.DataFrame(rows, columns=["branch", "region", "date", "score", "coverage"])
    try:
        period, assessed = assessment_rows(scores, policy, label, checklist.min_coverage)
    except PeriodError as exc:
        raise PeriodRefused(exc) from None
    visible = {b.id: b for b in visible_branches(session, principal)}
    fined = incident_yuan(session, period.contains, checklist, policy.fines) if period else {}
    waiting = pending_findings(session, period.contains) if period else {}
    shown = [
        row.model_copy(
            update={
                "name": visible[row.branch].name,
                "incident_yuan": fined.get(row.branch, 0.0),
                "pending": waiting.get(row.branch, 0),
            }
        )
        for row in assessed
        if row.branch in visible
    ]
    return AssessmentOut(
        policy=policy_name,
        policy_name=policy.name,
        period=PeriodOut(label=period.label, kind=period.kind) if period else None,
        branches=shown,
        generated_at=datetime.now(UTC),
        pending=sum(row.pending for row in shown),
        provisional=any(waiting.values()),
    )


def pending_findings(session: Session, in_period: Callable[[date], bool]) -> dict[str, int]:
    """Branch → its findings dated in the period that still await review."""
    out: dict[str, int] = {}
    for branch, day in session.execute(
        select(m.Finding.branch_id, m.Finding.date).where(m.Finding.status == "pending")
    ):
        if in_period(day):
            out[branch] = out.get(branch, 0) + 1
    return out


def zone_labels(session: Session, findings: Iterable[FindingOut]) -> dict[str, str]:
    """Finding id → its zone as the report's chart names it: the site's zone ids with their
    purposes (rules/wording.finding_zone), read from each branch's site file; a site file
    the server cannot read leaves the stored key."""
    zones: dict[str, list[ZoneRef]] = {}
    out = {}
    for f in findings:
        if f.branch not in zones:
            branch = session.get(m.Branch, f.branch)
            zones[f.branch] = site_zones(branch.site_path if branch else "")
        out[f.id] = finding_zone(zones[f.branch], f.cameras, f.zone)
    return out


def pricing(
    session: Session, checklist: Checklist, fines: dict[str, FineRule], rows: list[m.Finding]
) -> dict[str, Pricing]:
    """Each finding's fine and the open order that doubles it, for the API and the pages."""
    priced = fines_of(session, rows, checklist, fines)
    orders = {b: open_orders(session, b) for b in {r.branch_id for r in rows}}
    out = {}
    for row in rows:
        fine = priced.get(row.id)
        order = next((o for o in orders[row.branch_id](row.date) if o.item == row.item), None)
        out[row.id] = Pricing(
            fine.yuan if fine else None,
            fine.rule if fine else "",
            f"整改令 #{order.id} 未关闭，加倍扣分 · rectification order #{order.id} open: counts double"
            if order
            else "",
        )
    return out
