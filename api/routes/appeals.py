"""Appeals by branches, decided by the level above: the province (or an admin), never by
anyone who reviewed the finding. A decision is final; an admin may reopen it on the record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.auth import Can, CurrentPrincipal, Principal, lock_branch, require, scoped
from api.deps import AppSettings, DbSession
from api.errors import error_responses
from api.queries import audit, change_status, decision_of, find_appeals
from api.schemas import BRANCH_ID, AppealDecisionIn, AppealOut, ReopenIn, appeal_out
from pipeline.store import models as m

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


def _appeal_or_404(session: Session, principal: Principal, appeal_id: int) -> m.Appeal:
    """The appeal, with its branch locked: decisions and reopenings of one branch's
    appeals, and the reviews they block, happen one after another."""
    entry = session.scalars(
        scoped(select(m.Appeal).join(m.Finding), principal, m.Finding.branch_id).where(
            m.Appeal.id == appeal_id
        )
    ).one_or_none()
    if entry is None:
        raise HTTPException(404, f"no appeal {appeal_id}")
    lock_branch(session, entry.finding.branch_id)
    session.refresh(entry)
    return entry


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
    entry = _appeal_or_404(session, principal, appeal_id)
    reviewed = [r for r in entry.finding.reviews if r.reviewer == principal.name]
    if reviewed:
        raise HTTPException(
            403, f"separation of duties: {principal.name} reviewed finding {entry.finding_id} "
            f"({reviewed[-1].decision} at {reviewed[-1].at:%Y-%m-%d %H:%M:%S} UTC), so its "
            "appeal goes to someone who did not",
        )  # fmt: skip
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
        said = {"upheld": "维持扣分", "granted": "撤销扣分"}.get(entry.status, entry.status)
        raise HTTPException(
            409, f"申诉 {appeal_id} 已由 {entry.decided_by} 裁决（{said}），只有管理员可以在记录中"
            f"重新打开 · appeal {appeal_id} is final: {decision_of(entry)}; only an admin may "
            "reopen it, on the record",
        )  # fmt: skip
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
    entry = _appeal_or_404(session, principal, appeal_id)
    if entry.status == "pending":
        raise HTTPException(409, f"appeal {appeal_id} is pending: there is no decision to reopen")
    undone = {
        "status": entry.status,
        "decided_by": entry.decided_by,
        "decided_at": entry.decided_at.isoformat(),
        "note": entry.decision_note,
    }
    if entry.status == "granted":
        change_status(session, entry.finding, "dismissed", "confirmed", settings.checklist)
    entry.status, entry.decided_by, entry.decided_at, entry.decision_note = (
        "pending", None, None, ""
    )  # fmt: skip
    audit(
        session,
        principal,
        "appeal_reopen",
        entry.finding_id,
        appeal=entry.id,
        reason=body.reason,
        undone=undone,
    )
    session.flush()
    return appeal_out(entry)
