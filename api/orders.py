"""Rectification orders (整改) in the query layer: a supervisor orders a branch to fix an
item; while the order is open the item's new findings at the branch count double
(pipeline/store/orders.py); closing one needs a note. Every change is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal, scoped
from api.queries import audit, branch_or_404, finding_or_404
from api.schemas import BRANCH_ID, ITEM_CODE, Note, Reason
from detectors.config_base import StrictModel
from pipeline.store import models as m
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


class OrderOut(BaseModel):
    id: int
    branch: str = Field(pattern=BRANCH_ID)
    item: str
    note: str
    due: date | None
    finding_id: str | None
    ordered_by: str
    ordered_at: datetime
    status: str = Field(description="open, or closed")
    closed_by: str | None
    closed_at: datetime | None
    close_note: Note


def order_out(row: m.RectificationOrder) -> OrderOut:
    return OrderOut(
        id=row.id, branch=row.branch_id, item=row.item, note=row.note, due=row.due,
        finding_id=row.finding_id, ordered_by=row.ordered_by, ordered_at=row.ordered_at,
        status=row.status, closed_by=row.closed_by, closed_at=row.closed_at,
        close_note=row.close_note,
    )  # fmt: skip


def list_orders(
    session: Session, principal: Principal, branch_id: str, status: str | None = None
) -> list[OrderOut]:
    branch_or_404(session, principal, branch_id)
    stmt = select(m.RectificationOrder).where(m.RectificationOrder.branch_id == branch_id)
    if status == "open":
        stmt = stmt.where(m.RectificationOrder.closed_at.is_(None))
    elif status == "closed":
        stmt = stmt.where(m.RectificationOrder.closed_at.is_not(None))
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


def close_order(session: Session, principal: Principal, order_id: int, body: CloseIn) -> OrderOut:
    row = session.scalars(
        scoped(select(m.RectificationOrder), principal, m.RectificationOrder.branch_id).where(
            m.RectificationOrder.id == order_id
        )
    ).one_or_none()
    if row is None:
        raise HTTPException(404, f"no rectification order {order_id}")
    if row.closed_at is not None:
        raise HTTPException(
            409,
            f"order {order_id} was closed by {row.closed_by} at {row.closed_at:%Y-%m-%d %H:%M} UTC",
        )
    row.closed_by, row.closed_at, row.close_note = principal.name, datetime.now(UTC), body.note
    audit(
        session, principal, "rectification_close", row.finding_id,
        order=row.id, branch=row.branch_id, item=row.item, note=body.note,
    )  # fmt: skip
    return order_out(row)
