"""Rectification orders (整改令), "orders" in the code: given and closed by supervisors,
read by the branch (api/orders.py). Their URLs keep the word `rectifications`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.auth import Can, Principal, require
from api.deps import AppSettings, DbSession
from api.errors import error_responses
from api.orders import (
    CloseIn,
    OrderIn,
    OrderOut,
    WithdrawIn,
    close_order,
    give_order,
    list_orders,
    withdraw_order,
)
from api.schemas import BRANCH_ID

router = APIRouter(prefix="/api/v1", tags=["orders"])

BranchId = Annotated[str, Path(pattern=BRANCH_ID)]


@router.get("/branches/{branch_id}/rectifications", responses=error_responses(403, 404))
def branch_orders(
    branch_id: BranchId,
    session: DbSession,
    principal: Annotated[Principal, require(Can.READ_FINDINGS)],
    status: Annotated[Literal["open", "closed", "withdrawn"] | None, Query()] = None,
) -> list[OrderOut]:
    """The branch's orders, oldest first, with their status."""
    return list_orders(session, principal, branch_id, status)


@router.post(
    "/branches/{branch_id}/rectifications", status_code=201,
    responses=error_responses(403, 404, 413),
)  # fmt: skip
def give(
    branch_id: BranchId,
    body: OrderIn,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> OrderOut:
    """Order the branch to fix an item: from tomorrow until closed, its findings count double."""
    return give_order(session, principal, branch_id, body, settings.checklist)


@router.post(
    "/rectifications/{order_id}/close",
    responses=error_responses(403, 404, 413, conflict="already closed"),
)
def close(
    order_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: CloseIn,
    session: DbSession,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> OrderOut:
    """Close an open order with a note on how it was fixed."""
    return close_order(session, principal, order_id, body)


@router.post(
    "/rectifications/{order_id}/withdraw",
    responses=error_responses(403, 404, 413, conflict="already closed or withdrawn"),
)
def withdraw(
    order_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: WithdrawIn,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> OrderOut:
    """Withdraw an open order given in error, with the reason: it never counted double, and
    the scores it doubled are recomputed."""
    return withdraw_order(session, principal, order_id, body, settings.checklist)
