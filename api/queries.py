"""The query layer: lookups scoped to the caller, the lists and assessments that the JSON
routes and the pages both serve, and the one way a finding's status changes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

import pandas as pd
from fastapi import HTTPException
from sqlalchemy import String, cast, func, select, update
from sqlalchemy.orm import Session

from api.auth import Can, Principal, Role, lock_branch, scoped, visible_branches
from api.errors import PeriodRefused
from api.schemas import (
    AppealOut,
    AppealReopenOut,
    AssessmentOut,
    FindingDetail,
    FindingOut,
    Page,
    PeriodOut,
    Pricing,
    appeal_out,
    finding_detail,
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
            detail={"role": str(principal.role), "holder": principal.holder, **detail},
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


#: the reviews that decide a finding; "undo" and "reopen" reviews set it back to pending
DECISIONS = ("confirm", "dismiss")
#: how long after a decision its reviewer may undo it without a note
UNDO_S = 60.0


def reopen_finding(
    session: Session,
    principal: Principal,
    finding: m.Finding,
    note: str,
    checklist: Checklist,
    undo: bool = False,
) -> None:
    """Set a decided finding back to pending, on the record (a review of kind "undo" or
    "reopen", and the audit log), and rescore. Allowed to the reviewer who decided it, or
    an admin (reopen only); an undo only within UNDO_S of the decision. Once the branch
    has appealed, the appeal decides: 409."""
    kind = "undo" if undo else "reopen"
    lock_branch(session, finding.branch_id)
    session.refresh(finding)
    entry = appeal_of(session, finding.id)
    if entry is not None:
        raise HTTPException(
            409, f"the branch has appealed this finding (appeal {entry.id}, {entry.status}); "
            "the appeal, not a reopening, decides it now",
        )  # fmt: skip
    last = finding.reviews[-1] if finding.reviews else None
    if finding.status == "pending" or last is None or last.decision not in DECISIONS:
        raise HTTPException(409, f"finding {finding.id} is {finding.status}: no decision to {kind}")
    if last.reviewer != principal.name and (undo or principal.role is not Role.ADMIN):
        raise HTTPException(
            403, f"{last.reviewer} decided this finding ({last.decision} at "
            f"{last.at:%Y-%m-%d %H:%M:%S} UTC); only they{'' if undo else ' or an admin'} "
            f"may {kind} it",
        )  # fmt: skip
    now = datetime.now(UTC)
    if undo and now - last.at > timedelta(seconds=UNDO_S):
        raise HTTPException(
            409, f"the decision of {last.at:%H:%M:%S} UTC is over {UNDO_S:g} s old: reopen it "
            "with a note instead",
        )  # fmt: skip
    change_status(session, finding, finding.status, "pending", checklist)
    session.add(
        m.Review(finding_id=finding.id, decision=kind, note=note, reviewer=principal.name, at=now)
    )
    audit(
        session,
        principal,
        f"review_{kind}",
        finding.id,
        undone=last.decision,
        decided_by=last.reviewer,
        decided_at=last.at.isoformat(),
        note=note,
    )
    session.flush()
    session.refresh(finding)


def appeal_of(session: Session, finding_id: str) -> m.Appeal | None:
    """The finding's latest appeal, read afresh (call with the branch locked)."""
    return session.scalars(
        select(m.Appeal).where(m.Appeal.finding_id == finding_id).order_by(m.Appeal.id.desc())
    ).first()


def decision_of(entry: m.Appeal) -> str:
    return f"{entry.status} by {entry.decided_by} at {entry.decided_at:%Y-%m-%d %H:%M:%S} UTC"


def check_of(session: Session, branch_id: str, day) -> m.CheckScore | None:
    return session.get(m.CheckScore, (branch_id, day))


@dataclass(frozen=True)
class FindingFilter:
    """What the finding lists filter on (the JSON list, the queue, the reviewed list);
    each field None means all. `decided`: confirmed or dismissed only, when no status is
    given; `reviewer`: findings someone confirmed or dismissed."""

    branch: str | None = None
    day: date | None = None
    date_from: date | None = None
    date_to: date | None = None
    item: str | None = None
    status: str | None = None
    camera: str | None = None
    zone: str | None = None
    min_confidence: float | None = None
    reviewer: str | None = None
    decided: bool = False


def find_findings(
    session: Session,
    checklist: Checklist,
    fines: dict[str, FineRule],
    principal: Principal,
    where: FindingFilter = FindingFilter(),
    page: int = 1,
    per_page: int = 50,
    newest_first: bool = False,
) -> Page[FindingOut]:
    """The caller's findings matching the filter, oldest first (a reviewer works through a
    night in the order it happened) or newest first, one page of them."""
    stmt = scoped(
        select(m.Finding, m.Branch.timezone).join(m.Branch), principal, m.Finding.branch_id
    )
    if where.branch is not None:
        branch_or_404(session, principal, where.branch)
        stmt = stmt.where(m.Finding.branch_id == where.branch)
    conditions = {
        "day": lambda v: m.Finding.date == v,
        "date_from": lambda v: m.Finding.date >= v,
        "date_to": lambda v: m.Finding.date <= v,
        "item": lambda v: m.Finding.item == v,
        "status": lambda v: m.Finding.status == v,
        "zone": lambda v: m.Finding.zone == v,
        "min_confidence": lambda v: m.Finding.confidence >= v,
        # the list as stored JSON text: portable across SQLite and PostgreSQL
        "camera": lambda v: cast(m.Finding.cameras, String).contains(
            json.dumps(v), autoescape=True
        ),
        "reviewer": lambda v: m.Finding.reviews.any(
            (m.Review.reviewer == v) & m.Review.decision.in_(DECISIONS)
        ),
    }
    for name, condition in conditions.items():
        if (value := getattr(where, name)) is not None:
            stmt = stmt.where(condition(value))
    if where.decided and where.status is None:
        stmt = stmt.where(m.Finding.status.in_(("confirmed", "dismissed")))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    order = (
        (m.Finding.start.desc(), m.Finding.id) if newest_first else (m.Finding.start, m.Finding.id)
    )
    rows = session.execute(
        stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page)
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
        raise PeriodRefused(exc, label) from None
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


def detail_of(
    session: Session, checklist: Checklist, fines: dict[str, FineRule], row: m.Finding
) -> FindingDetail:
    """A finding with its fine, its history (reviews, undos and reopenings, appeals and
    their reopenings) and its branch's time zone: what its page and the API show."""
    reopened = session.scalars(
        select(m.AuditEntry)
        .where(m.AuditEntry.finding_id == row.id, m.AuditEntry.action == "appeal_reopen")
        .order_by(m.AuditEntry.id)
    )
    return finding_detail(
        row,
        timezone_of(session, row.branch_id),
        checklist,
        pricing(session, checklist, fines, [row])[row.id],
        [
            AppealReopenOut(
                appeal=e.detail.get("appeal"),
                by=e.actor,
                at=e.at,
                reason=e.detail.get("reason", ""),
                undone=(e.detail.get("undone") or {}).get("status", ""),
            )
            for e in reopened
        ],
    )


def last_decisions(session: Session, ids: list[str]) -> dict[str, m.Review]:
    """Finding id → its latest review of any kind (a decision, an undo, a reopening)."""
    out: dict[str, m.Review] = {}
    for review in session.scalars(
        select(m.Review).where(m.Review.finding_id.in_(ids)).order_by(m.Review.id)
    ):
        out[review.finding_id] = review
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
