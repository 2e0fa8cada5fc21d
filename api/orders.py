"""Rectification orders (整改) in the query layer: a supervisor orders a branch to fix an
item; while the order is open the item's new findings at the branch count double
(pipeline/store/orders.py); closing one needs a note. An order given in error is withdrawn
with a reason: it never counted, so the scores it doubled are recomputed. Every change is
audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal, scoped
from api.queries import audit, branch_or_404, finding_or_404
from api.schemas import BRANCH_ID, ITEM_CODE, Note, Reason
from detectors.config_base import StrictModel
from pipeline.store import models as m
from pipeline.store.reviews import lock_branch
from pipeline.store.scores import month_bounds, recompute_scores
from rules.checklist import Checklist


class OrderIn(StrictModel):
    item: str = Field(pattern=ITEM_CODE, description="the checklist item to fix")
    note: Reason = Field(description="what the branch must do")
    due: date | None = Field(None, description="when it must be done (YYYY-MM-DD)")
    finding_id: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_\-]{1,32}$", description="the finding that prompted it"
    )


class CloseIn(StrictModel):
    note: Reason = Field(description="how the branch fixed it, for the record")


class WithdrawIn(StrictModel):
    reason: Reason = Field(description="why the order was given in error, for the record")


class OrderOut(BaseModel):
    id: int
    branch: str = Field(pattern=BRANCH_ID)
    item: str
    note: str
    due: date | None
    finding_id: str | None
    ordered_by: str
    ordered_at: datetime
    status: str = Field(description="open, closed, or withdrawn")
    closed_by: str | None
    closed_at: datetime | None
    close_note: Note
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = None
    withdraw_reason: str | None = None


def order_out(row: m.RectificationOrder) -> OrderOut:
    return OrderOut(
        id=row.id, branch=row.branch_id, item=row.item, note=row.note, due=row.due,
        finding_id=row.finding_id, ordered_by=row.ordered_by, ordered_at=row.ordered_at,
        status=row.status, closed_by=row.closed_by, closed_at=row.closed_at,
        close_note=row.close_note, withdrawn_by=row.withdrawn_by,
        withdrawn_at=row.withdrawn_at, withdraw_reason=row.withdraw_reason,
    )  # fmt: skip


def list_orders(
    session: Session, principal: Principal, branch_id: str, status: str | None = None
) -> list[OrderOut]:
    branch_or_404(session, principal, branch_id)
    stmt = select(m.RectificationOrder).where(m.RectificationOrder.branch_id == branch_id)
    live = m.RectificationOrder.withdrawn_at.is_(None)
    if status == "open":
        stmt = stmt.where(live, m.RectificationOrder.closed_at.is_(None))
    elif status == "closed":
        stmt = stmt.where(live, m.RectificationOrder.closed_at.is_not(None))
    elif status == "withdrawn":
        stmt = stmt.where(m.RectificationOrder.withdrawn_at.is_not(None))
    return [order_out(o) for o in session.scalars(stmt.order_by(m.RectificationOrder.id))]


def give_order(
    session: Session, principal: Principal, branch_id: str, body: OrderIn, checklist: Checklist
) -> OrderOut:
    branch = branch_or_404(session, principal, branch_id)
    if body.item not in {i.code for i in checklist.items}:
        raise HTTPException(404, f"the checklist has no item {body.item}")
    if body.finding_id is not None:
        finding = finding_or_404(session, principal, body.finding_id)
        if finding.branch_id != branch.id or finding.item != body.item:
            raise HTTPException(404, f"no {body.item} finding {finding.id} at {branch.id}")
    row = m.RectificationOrder(
        branch_id=branch.id, item=body.item, note=body.note, due=body.due,
        finding_id=body.finding_id, ordered_by=principal.name, ordered_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit(
        session, principal, "rectification_order", body.finding_id,
        order=row.id, branch=branch.id, item=body.item, note=body.note,
        due=body.due.isoformat() if body.due else None,
    )  # fmt: skip
    return order_out(row)


def _open_order(session: Session, principal: Principal, order_id: int) -> m.RectificationOrder:
    """The caller's branch's order `order_id`, still open: 404 if it is not theirs, 409 if
    it was closed or withdrawn."""
    row = session.scalars(
        scoped(select(m.RectificationOrder), principal, m.RectificationOrder.branch_id).where(
            m.RectificationOrder.id == order_id
        )
    ).one_or_none()
    if row is None:
        raise HTTPException(404, f"没有整改令 #{order_id} · no rectification order {order_id}")
    if row.withdrawn_at is not None:
        raise HTTPException(
            409,
            f"整改令 #{order_id} 已撤回 · order {order_id} was withdrawn by {row.withdrawn_by} "
            f"at {row.withdrawn_at:%Y-%m-%d %H:%M} UTC",
        )
    if row.closed_at is not None:
        raise HTTPException(
            409,
            f"整改令 #{order_id} 已关闭 · order {order_id} was closed by {row.closed_by} "
            f"at {row.closed_at:%Y-%m-%d %H:%M} UTC",
        )
    return row


def close_order(session: Session, principal: Principal, order_id: int, body: CloseIn) -> OrderOut:
    row = _open_order(session, principal, order_id)
    row.closed_by, row.closed_at, row.close_note = principal.name, datetime.now(UTC), body.note
    audit(
        session, principal, "rectification_close", row.finding_id,
        order=row.id, branch=row.branch_id, item=row.item, note=body.note,
    )  # fmt: skip
    return order_out(row)


def withdraw_order(
    session: Session, principal: Principal, order_id: int, body: WithdrawIn, checklist: Checklist
) -> OrderOut:
    """Withdraw an open order given in error: it never counted double
    (pipeline/store/orders.open_orders leaves it out), so every checked day it covered is
    scored again, in the same transaction."""
    row = _open_order(session, principal, order_id)
    lock_branch(session, row.branch_id)
    row.withdrawn_by, row.withdrawn_at, row.withdraw_reason = (
        principal.name, datetime.now(UTC), body.reason,
    )  # fmt: skip
    session.flush()
    branch = session.get(m.Branch, row.branch_id)
    tz = ZoneInfo(branch.timezone)
    day, today = row.ordered_at.astimezone(tz).date() + timedelta(days=1), datetime.now(tz).date()
    while day <= today:  # each month from the first day it counted (recompute_scores: a month)
        recompute_scores(session, row.branch_id, day, checklist)
        day = month_bounds(day)[1]
    audit(
        session, principal, "rectification_withdraw", row.finding_id,
        order=row.id, branch=row.branch_id, item=row.item, reason=body.reason,
    )  # fmt: skip
    return order_out(row)
