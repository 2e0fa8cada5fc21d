"""Check scores: one row per branch-day."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select

from api.auth import Can, Principal, require, scoped
from api.deps import AppSettings, DbSession
from api.errors import error_responses
from api.queries import branch_or_404
from api.schemas import BRANCH_ID, CheckOut, IsoDate, check_out
from pipeline.store import models as m

router = APIRouter(prefix="/api/v1", tags=["checks"])


@router.get("/checks", responses=error_responses(403, 404))
def checks(
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.READ_SCORES)],
    branch: Annotated[str | None, Query(pattern=BRANCH_ID)] = None,
    from_: Annotated[IsoDate | None, Query(alias="from")] = None,
    to: IsoDate | None = None,
) -> list[CheckOut]:
    """Provisional and final scores, coverage and findings per item of each branch-day."""
    if from_ and to and from_ > to:
        problem = {
            "loc": ("query", "from"),
            "msg": f"{from_} is after to ({to})",
            "type": "value_error",
        }
        raise RequestValidationError([problem])
    stmt = scoped(
        select(m.CheckScore, m.Branch.region).join(m.Branch), principal, m.CheckScore.branch_id
    )
    if branch is not None:
        branch_or_404(session, principal, branch)
        stmt = stmt.where(m.CheckScore.branch_id == branch)
    if from_:
        stmt = stmt.where(m.CheckScore.date >= from_)
    if to:
        stmt = stmt.where(m.CheckScore.date <= to)
    rows = session.execute(stmt.order_by(m.CheckScore.branch_id, m.CheckScore.date))
    return [check_out(row, region, settings.checklist) for row, region in rows]
