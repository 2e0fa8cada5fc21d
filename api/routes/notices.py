"""Weekly notices: issued by reviewers, read by the branch as they were sent (api/notices.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import AfterValidator

from api.auth import Can, Principal, require
from api.deps import AppSettings, DbSession
from api.errors import error_responses
from api.notices import IssuedOut, issue, versions
from api.schemas import BRANCH_ID
from pipeline.report.notice import week_days

router = APIRouter(prefix="/api/v1", tags=["notices"])

BranchId = Annotated[str, Path(pattern=BRANCH_ID)]


def _iso_week(week: str) -> str:
    week_days(week)  # NoticeError (a ValueError): a 422 in the validation shape
    return week


Week = Annotated[
    str,
    Path(pattern=r"^\d{4}-W\d{2}$", description="ISO week, 2026-W45"),
    AfterValidator(_iso_week),
]


@router.post(
    "/branches/{branch_id}/notices/{week}", status_code=201,
    responses=error_responses(403, 404, 413),
)  # fmt: skip
def issue_notice(
    branch_id: BranchId,
    week: Week,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> IssuedOut:
    """Issue the week's notice as it stands: stored as rendered, with its facts; the branch
    sees this copy from now on. Issuing again adds a version; older ones stay readable."""
    return issue(
        session, principal, branch_id, week, settings.checklist, settings.fines,
        settings.evidence_root,
    )  # fmt: skip


@router.get("/branches/{branch_id}/notices/{week}", responses=error_responses(403, 404))
def issued(
    branch_id: BranchId,
    week: Week,
    session: DbSession,
    principal: Annotated[Principal, require(Can.READ_FINDINGS)],
) -> list[IssuedOut]:
    """The week's issued notices, newest version first, with the facts each carried."""
    return versions(session, principal, branch_id, week)
