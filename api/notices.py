"""Weekly notices in the query layer: a reviewer issues the week's notice, stored as it was
rendered with the facts it carried (pipeline/store/notices.py); the branch then reads that
copy, never the live one. Issuing is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.queries import audit, branch_or_404
from api.schemas import BRANCH_ID
from pipeline.report.notice import build_notice, notice_copy
from pipeline.store import models as m
from pipeline.store.notices import issue_notice, issued_notices
from rules.checklist import Checklist
from rules.fines import FineRule


class IssuedOut(BaseModel):
    branch: str = Field(pattern=BRANCH_ID)
    week: str
    version: int = Field(description="1 for the week's first issue, then 2, 3, …")
    issued_by: str
    issued_at: datetime
    url: str = Field(description="the issued copy's page")
    facts: dict = Field(description="what the notice said: scores, findings, orders, doubles")


def issued_out(row: m.IssuedNotice) -> IssuedOut:
    return IssuedOut(
        branch=row.branch_id, week=row.week, version=row.version, issued_by=row.issued_by,
        issued_at=row.issued_at, url=f"/notices/{row.branch_id}/{row.week}?version={row.version}",
        facts=row.facts,
    )  # fmt: skip


def issue(
    session: Session,
    principal: Principal,
    branch_id: str,
    week: str,
    checklist: Checklist,
    fines: dict[str, FineRule],
    evidence_root: Path,
) -> IssuedOut:
    """Build the week's notice as it stands now and store it as the next version."""
    branch = branch_or_404(session, principal, branch_id)
    notice = build_notice(session, branch, week, checklist, fines, evidence_root)
    row = issue_notice(
        session, branch.id, week, notice_copy(notice), notice.facts(), principal.name,
        datetime.now(UTC),
    )  # fmt: skip
    audit(
        session, principal, "notice_issue", None, branch=branch.id, week=week, version=row.version
    )
    return issued_out(row)


def versions(session: Session, principal: Principal, branch_id: str, week: str) -> list[IssuedOut]:
    branch = branch_or_404(session, principal, branch_id)
    return [issued_out(row) for row in issued_notices(session, branch.id, week)]
