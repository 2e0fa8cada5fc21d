"""The query layer: lookups scoped to the caller, and the lists and assessments that the
JSON routes and the pages both serve. A finding's or an appeal's status changes only in
the review workflow (pipeline/store/reviews.py); its errors, raised here too for what the
caller cannot see, become HTTP answers in api/errors.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import cache

import pandas as pd
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from api.auth import Can, Principal, refusal, scoped, visible_branches
from api.errors import PeriodRefused
from api.filters import FindingFilter, Sort
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
from pipeline.store import models as m
from pipeline.store import reviews
from pipeline.store.fines import double_reasons, incident_yuan, stakes_of
from pipeline.store.reviews import DECIDED, DECISIONS, Actor, Forbidden, NotFound
from pipeline.store.zones import stored_zones, zone_keys
from rules.assessment import BranchCalendar, assessment_rows
from rules.calendar import ZoneRef
from rules.checklist import Checklist
from rules.findings import FindingStatus
from rules.fines import FineRule
from rules.periods import PeriodError
from rules.policies import Policy, load_policy
from rules.wording import finding_zone


def branch_or_404(session: Session, principal: Principal, branch_id: str) -> m.Branch:
    row = session.scalars(
        scoped(select(m.Branch), principal, m.Branch.id).where(m.Branch.id == branch_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no branch {branch_id}")
    return row


def finding_or_404(session: Session, principal: Principal, finding_id: str) -> m.Finding:
    row = session.scalars(
        scoped(select(m.Finding), principal, m.Finding.branch_id).where(m.Finding.id == finding_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no finding {finding_id}")
    return row


def appeal_or_404(session: Session, principal: Principal, appeal_id: int) -> m.Appeal:
    entry = session.scalars(
        scoped(select(m.Appeal).join(m.Finding), principal, m.Finding.branch_id).where(
            m.Appeal.id == appeal_id
        )
    ).one_or_none()
    if entry is None:
        raise NotFound(f"no appeal {appeal_id}")
    return entry


def timezone_of(session: Session, branch_id: str) -> str:
    return session.get(m.Branch, branch_id).timezone


def actor_of(principal: Principal) -> Actor:
    """The caller as the review workflow (pipeline/store/reviews.py) records them."""
    return Actor(principal.name, str(principal.role), principal.holder)


def audit(session: Session, principal: Principal, action: str, finding_id: str, **detail) -> None:
    reviews.audit(session, actor_of(principal), action, finding_id, **detail)


def check_of(session: Session, branch_id: str, day) -> m.CheckScore | None:
    return session.get(m.CheckScore, (branch_id, day))


def find_findings(
    session: Session,
    checklist: Checklist,
    fines: dict[str, FineRule],
    principal: Principal,
    where: FindingFilter | None = None,
    page: int = 1,
    per_page: int = 50,
    decided: bool = False,
    sort: Sort = Sort.OLDEST,
) -> Page[FindingOut]:
    """The caller's findings matching the filter, one page of them, in the filter's order
    or else `sort` (oldest first: a reviewer works through a night in the order it
    happened). `decided`: confirmed or dismissed only, when the filter names no status."""
    where = where or FindingFilter()
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
        # a zone id also finds the findings of its purpose's posts (pipeline/store/zones.py)
        "zone": lambda v: m.Finding.zone.in_(zone_keys(session, v, checklist)),
        "min_confidence": lambda v: m.Finding.confidence >= v,
        # the list as stored JSON text: portable across SQLite and PostgreSQL
        "camera": lambda v: cast(m.Finding.cameras, String).contains(
            json.dumps(v), autoescape=True
        ),
        "reviewer": lambda v: m.Finding.reviews.any(
            (m.Review.reviewer == v) & m.Review.decision.in_([str(d) for d in DECISIONS])
        ),
    }
    for name, condition in conditions.items():
        if (value := getattr(where, name)) is not None:
            stmt = stmt.where(condition(value))
    if decided and where.status is None:
        stmt = stmt.where(m.Finding.status.in_(DECIDED))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    order = where.sort or sort
    start = (page - 1) * per_page
    if order is Sort.POINTS:  # the stake is the store's answer, not a column: all, then a page
        every = session.execute(stmt.order_by(m.Finding.start, m.Finding.id)).all()
        prices = pricing(session, checklist, fines, [f for f, _ in every])
        every.sort(key=lambda r: -prices[r[0].id].points)
        rows = every[start : start + per_page]
    else:
        rows = session.execute(stmt.order_by(*_ORDERS[order]).offset(start).limit(per_page)).all()
        prices = pricing(session, checklist, fines, [f for f, _ in rows])
    return Page[FindingOut](
        items=[finding_out(f, tz, checklist, prices[f.id]) for f, tz in rows],
        total=total,
        page=page,
        per_page=per_page,
    )


_ORDERS = {
    Sort.OLDEST: (m.Finding.start, m.Finding.id),
    Sort.NEWEST: (m.Finding.start.desc(), m.Finding.id),
    Sort.BRANCH: (m.Finding.branch_id, m.Finding.start, m.Finding.id),
}


def find_appeals(
    session: Session, principal: Principal, status: str | None = None, branch: str | None = None
) -> list[AppealOut]:
    """Appeals of the findings the caller may read: those a branch filed, those of a
    supervisor's region, and all of them for the province and admins, who decide them."""
    if not principal.can(Can.READ_FINDINGS):
        raise Forbidden(refusal(principal.role, Can.READ_FINDINGS))
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
        period, assessed = assessment_rows(
            scores, policy, label, checklist.min_coverage, calendars(session)
        )
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


def calendars(session: Session) -> dict[str, BranchCalendar]:
    """Every branch whose calendar is stored (pipeline/batch/writer.py), from its first
    night: the business days an assessment expects a complete check of."""
    first = {
        branch: day
        for branch, day in session.execute(
            select(m.Run.branch_id, func.min(m.Run.date)).group_by(m.Run.branch_id)
        )
    }
    return {
        b.id: BranchCalendar(b.region, b.hours, first.get(b.id))
        for b in session.scalars(select(m.Branch))
        if b.hours  # a branch not run since calendars were kept: its checked days only
    }


def pending_findings(session: Session, in_period: Callable[[date], bool]) -> dict[str, int]:
    """Branch → its findings dated in the period that still await review."""
    out: dict[str, int] = {}
    for branch, day in session.execute(
        select(m.Finding.branch_id, m.Finding.date).where(m.Finding.status == FindingStatus.PENDING)
    ):
        if in_period(day):
            out[branch] = out.get(branch, 0) + 1
    return out


def zone_labels(session: Session, findings: Iterable[FindingOut]) -> dict[str, str]:
    """Finding id → its zone as the report's chart names it: the branch's stored zone ids
    with their purposes (pipeline/store/zones.py, rules/wording.finding_zone); a branch
    no night run has stored zones of leaves the stored key."""
    zones: dict[str, list[ZoneRef]] = {}
    out = {}
    for f in findings:
        if f.branch not in zones:
            zones[f.branch] = stored_zones(session, f.branch)
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
    """Each finding's stake (pipeline/store/fines.stakes_of): the points and the fine that
    confirming it puts on the branch, and why it counts double, for the API and the pages."""
    staked = stakes_of(session, rows, checklist, fines)
    why = double_reasons(session, rows, staked)
    out = {}
    for row in rows:
        stake = staked.get(row.id)
        fine = stake.fine if stake else None
        confirmed = row.status == FindingStatus.CONFIRMED
        out[row.id] = Pricing(
            points=stake.points if stake else 0.0,
            fine_yuan=fine.yuan if fine and confirmed else None,
            fine_rule=fine.rule if fine and confirmed else "",
            stake_yuan=fine.yuan if fine else None,
            stake_rule=fine.rule if fine else "",
            counts_double=why[row.id],
        )
    return out
