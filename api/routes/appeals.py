"""Appeals by branches, decided by the level above: the province (or an admin), never by
anyone who reviewed the finding. A decision is final; an admin may reopen it on the record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth import Can, CurrentPrincipal, Principal, require
from api.deps import AppSettings, DbSession
from api.errors import error_responses
from api.queries import actor_of, appeal_or_404, find_appeals
from api.schemas import BRANCH_ID, AppealDecisionIn, AppealOut, ReopenIn, appeal_out
from pipeline.store import reviews
from pipeline.store.reviews import Step

router = APIRouter(prefix="/api/v1/appeals", tags=["appeals"])
AppealId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", responses=error_responses(403, 404))
def list_appeals(
    session: DbSession,
    principal: CurrentPrincipal,
    status: Annotated[str | None, Query(pattern="^(pending|upheld|granted)$")] = None,
    branch: Annotated[str | None, Query(pattern=BRANCH_ID)] = None,
) -> list[AppealOut]:
    """Appeals of the findings the caller may read (a branch: its own)."""
    return find_appeals(session, principal, status, branch)


@router.post(
    "/{appeal_id}/decision", responses=error_responses(403, 404, 413, conflict="already decided")
)
def decide(
    appeal_id: AppealId,
    body: AppealDecisionIn,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.DECIDE_APPEALS)],
) -> AppealOut:
    """Granting an appeal dismisses the finding and rescores the branch at once. Whoever
    reviewed the finding may not decide its appeal (separation of duties)."""
    entry = appeal_or_404(session, principal, appeal_id)
    reviews.decide_appeal(
        session, actor_of(principal), entry, Step(body.decision), body.note, settings.checklist
    )
    return appeal_out(entry)


@router.post(
    "/{appeal_id}/reopen",
    responses=error_responses(403, 404, 413, conflict="not decided: nothing to reopen"),
)
def reopen(
    appeal_id: AppealId,
    body: ReopenIn,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.REOPEN_APPEALS)],
) -> AppealOut:
    """Set a decided appeal back to pending, so the province decides it again; the finding
    is confirmed again meanwhile, as it was when appealed. The decision undone and the
    reason are kept in the audit log."""
    entry = appeal_or_404(session, principal, appeal_id)
    reviews.reopen_appeal(session, actor_of(principal), entry, body.reason, settings.checklist)
    return appeal_out(entry)
