"""Lookups scoped to the caller, and the one way a finding's status changes."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import HTTPException
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.auth import Principal, lock_branch, scoped
from pipeline.store import models as m
from pipeline.store.scores import recompute_scores
from rules.checklist import Checklist


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


def check_of(session: Session, branch_id: str, day) -> m.CheckScore | None:
    return session.get(m.CheckScore, (branch_id, day))
