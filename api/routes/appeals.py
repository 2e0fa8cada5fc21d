"""Appeals by branches, decided by the level above (the region's supervisor or an admin)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select, update

from api.auth import Can, CurrentPrincipal, Principal, lock_branch, require, scoped
from api.deps import AppSettings, DbSession
from api.errors import error_responses
from api.queries import audit, change_status, find_appeals
from api.schemas import BRANCH_ID, AppealDecisionIn, AppealOut, appeal_out
from pipeline.store import models as m

router = APIRouter(prefix="/api/v1/appeals", tags=["appeals"])


@router.get("", responses=error_responses(403, 404))
def list_appeals(
    session: DbSession,
    principal: CurrentPrincipal,
    status: Annotated[str | None, Query(pattern="^(pending|upheld|granted)$")] = None,
    branch: Annotated[str | None, Query(pattern=BRANCH_ID)] = None,
) -> list[AppealOut]:
    """Appeals the caller filed (a branch) or may decide (a supervisor or admin)."""
    return find_appeals(session, principal, status, branch)


@router.post(
    "/{appeal_id}/decision", responses=error_responses(403, 404, 413, conflict="already decided")
)
def decide(
    appeal_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: AppealDecisionIn,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.DECIDE_APPEALS)],
) -> AppealOut:
    """Granting an appeal dismisses the finding and rescores the branch at once."""
    entry = session.scalars(
        scoped(select(m.Appeal).join(m.Finding), principal, m.Finding.branch_id).where(
            m.Appeal.id == appeal_id
        )
    ).one_or_none()
    if entry is None:
        raise HTTPException(404, f"no appeal {appeal_id}")
    lock_branch(session, entry.finding.branch_id)
    status = "granted" if body.decision == "grant" else "upheld"
    now = datetime.now(UTC)
    done = session.execute(
        update(m.Appeal)
        .where(m.Appeal.id == entry.id, m.Appeal.status == "pending")
        .values(status=status, decided_by=principal.name, decided_at=now, decision_note=body.note)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        session.refresh(entry)
        raise HTTPException(409, f"appeal {appeal_id} was already {entry.status}")
    if status == "granted":
        change_status(session, entry.finding, "confirmed", "dismissed", settings.checklist)
    audit(
        session,
        principal,
        "appeal_decision",
        entry.finding_id,
        appeal=entry.id,
        decision=body.decision,
        note=body.note,
    )
    session.refresh(entry)
    return appeal_out(entry)
