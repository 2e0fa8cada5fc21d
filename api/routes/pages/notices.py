"""The weekly rectification notice as a printable document: the branch (and whoever reads
it without reviewing) sees the copy it was issued, as it was sent; a reviewer sees the live
draft, marked so, and issues it from there (api/notices.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from api.auth import Can
from api.deps import AppSettings, DbSession
from api.headers import DOCUMENT_CSP, NOTICE_DRAFT_CSP
from api.queries import branch_or_404
from api.rendering import Viewer, require_can
from api.schemas import BRANCH_ID
from pipeline.report.notice import NoticeError, build_notice, finished, render_notice, week_days
from pipeline.store import models as m
from pipeline.store.notices import issued_notices
from rules.wording import local_text

router = APIRouter(include_in_schema=False)


def _versions(rows: list[m.IssuedNotice], shown: int | None, draft_link: bool) -> str:
    """Links to the week's other issued versions (and to the draft, for a reviewer)."""
    links = [
        f'<a href="?version={r.version}">第 {r.version} 版 version {r.version}</a>'
        for r in rows
        if r.version != shown
    ]
    if draft_link:
        links.append('<a href="?">草稿 Draft (live)</a>')
    return f'<p class="versions">其他版本 Other versions: {" · ".join(links)}</p>' if links else ""


def _issued_banner(
    row: m.IssuedNotice, timezone: str, rows: list[m.IssuedNotice], reviewer: bool
) -> str:
    when = local_text(row.issued_at, timezone)
    return (
        f'<div class="banner issued" id="notice-status" data-version="{row.version}">'
        f"<b>已发出 Issued</b> {escape(when)} · {escape(row.issued_by)} · "
        f"第 {row.version} 版 version {row.version}"
        f"{'（最新 latest）' if row.version == rows[0].version else '（已被新版本取代 superseded）'}"
        f"{_versions(rows, row.version, reviewer)}</div>"
    )


def _draft_banner(branch: str, week: str, rows: list[m.IssuedNotice]) -> str:
    return (
        '<div class="banner draft" id="notice-status" data-version="">'
        "<b>草稿 Draft (not issued)</b> 本稿随复核实时变化，网点看不到；发出后网点看到的是发出时的副本。"
        " It changes as findings are reviewed and the branch does not see it; once issued, the "
        "branch sees the copy as it was sent.<br>"
        f'<button type="button" id="issue-notice" data-branch="{escape(branch)}" '
        f'data-week="{escape(week)}">发出通知 Issue this notice</button> '
        '<span id="issue-message" role="status"></span>'
        f"{_versions(rows, None, False)}</div>"
        '<script type="module" src="/static/notice.js"></script>'
    )


@router.get("/notices/{branch_id}/{week}", response_class=HTMLResponse)
def notice_page(
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    branch_id: Annotated[str, PathParam(pattern=BRANCH_ID)],
    week: Annotated[str, PathParam(pattern=r"^\d{4}-W\d{2}$")],
    version: Annotated[int | None, Query(ge=1, le=10_000)] = None,
):
    """The week's notice: `?version=n` an issued copy; else a reviewer's live draft, and
    for everyone else the latest issued copy (404 until one is issued)."""
    require_can(principal, Can.READ_FINDINGS)
    branch = branch_or_404(session, principal, branch_id)
    try:
        week_days(week)
    except NoticeError as exc:
        raise HTTPException(422, str(exc)) from None
    reviewer = principal.can(Can.REVIEW)
    rows = issued_notices(session, branch.id, week)
    if version is not None or (rows and not reviewer):
        row = next((r for r in rows if version in (None, r.version)), None)
        if row is None:
            raise HTTPException(
                404, f"第 {version} 版未发出 · no version {version} of {week} was issued"
            )
        page = finished(row.html, _issued_banner(row, branch.timezone, rows, reviewer))
        return HTMLResponse(page, headers={"Content-Security-Policy": DOCUMENT_CSP})
    if not reviewer:
        raise HTTPException(
            404, f"{week} 的整改通知尚未发出 · the notice of {week} has not been issued yet"
        )
    notice = build_notice(
        session, branch, week, settings.checklist, settings.fines, settings.evidence_root
    )
    page = render_notice(notice, Markup(_draft_banner(branch.id, week, rows)))
    return HTMLResponse(page, headers={"Content-Security-Policy": NOTICE_DRAFT_CSP})
