"""The weekly rectification notice as a printable document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from api.auth import (
    Can,
)
from api.deps import AppSettings, DbSession
from api.headers import DOCUMENT_CSP
from api.queries import (
    branch_or_404,
)
from api.rendering import Viewer, require_can
from api.schemas import BRANCH_ID
from pipeline.report.notice import NoticeError, build_notice, render_notice

router = APIRouter(include_in_schema=False)


@router.get("/notices/{branch_id}/{week}", response_class=HTMLResponse)
def notice_page(
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    branch_id: Annotated[str, PathParam(pattern=BRANCH_ID)],
    week: Annotated[str, PathParam(pattern=r"^\d{4}-W\d{2}$")],
):
    """The week's rectification notice (pipeline/report/notice.py), for the branch and
    those who review it."""
    require_can(principal, Can.READ_FINDINGS)
    branch = branch_or_404(session, principal, branch_id)
    try:
        notice = build_notice(
            session, branch, week, settings.checklist, settings.fines, settings.evidence_root
        )
    except NoticeError as exc:
        raise HTTPException(422, str(exc)) from None
    return HTMLResponse(render_notice(notice), headers={"Content-Security-Policy": DOCUMENT_CSP})
