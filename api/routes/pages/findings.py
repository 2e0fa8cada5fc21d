"""The review queue, a finding's page and the reviewed list, with their filter form."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from api.auth import (
    Can,
    Principal,
    visible_branches,
)
from api.deps import AppSettings, DbSession
from api.queries import (
    FindingFilter,
    detail_of,
    find_findings,
    finding_or_404,
    last_decisions,
)
from api.rendering import Viewer, render, require_can
from api.schemas import BRANCH_ID, CAMERA_ID, FINDING_ID, ITEM_CODE
from pipeline.store import models as m
from pipeline.store.reviews import UNDO_S
from pipeline.store.zones import zone_choices
from rules.findings import FindingStatus

router = APIRouter(include_in_schema=False)

DAY = r"^(\d{4}-\d{2}-\d{2})?$"


NAME = r"^[^\x00]{0,128}$"


def _day(text: str, name: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise HTTPException(422, f"{name}: not a calendar date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class PageFilters:
    """The filter form's fields as sent (an empty field means "all"), and the query-layer
    filter they make."""

    form: dict[str, str]
    where: FindingFilter


def page_filters(
    branch: Annotated[str, Query(pattern="^$|" + BRANCH_ID)] = "",
    day: Annotated[str, Query(alias="date", pattern=DAY)] = "",
    date_from: Annotated[str, Query(alias="from", pattern=DAY)] = "",
    date_to: Annotated[str, Query(alias="to", pattern=DAY)] = "",
    item: Annotated[str, Query(pattern="^$|" + ITEM_CODE)] = "",
    status: Annotated[str, Query(pattern="^(|pending|confirmed|dismissed)$")] = "",
    camera: Annotated[str, Query(pattern="^$|" + CAMERA_ID)] = "",
    zone: Annotated[str, Query(pattern="^$|" + CAMERA_ID)] = "",
    min_confidence: Annotated[str, Query(pattern=r"^(|0(\.\d{1,4})?|1(\.0{1,4})?)$")] = "",
    reviewer: Annotated[str, Query(pattern=NAME)] = "",
) -> PageFilters:
    form = {
        "branch": branch, "date": day, "from": date_from, "to": date_to, "item": item,
        "status": status, "camera": camera, "zone": zone, "min_confidence": min_confidence,
        "reviewer": reviewer.strip(),
    }  # fmt: skip
    where = FindingFilter(
        branch=branch or None,
        day=_day(day, "date"),
        date_from=_day(date_from, "from"),
        date_to=_day(date_to, "to"),
        item=item or None,
        status=FindingStatus(status) if status else None,
        camera=camera or None,
        zone=zone or None,
        min_confidence=float(min_confidence) if min_confidence else None,
        reviewer=reviewer.strip() or None,
    )
    return PageFilters(form, where)


Filters = Annotated[PageFilters, Depends(page_filters)]
FILTER_LABELS = {  # the filter form's fields, named in the closed filter box's summary
    "branch": "网点", "date": "日期", "from": "从", "to": "到", "item": "项目", "status": "状态",
    "camera": "摄像头", "zone": "区域", "min_confidence": "置信度 ≥", "reviewer": "复核人",
}  # fmt: skip


def _finding_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Principal,
    filters: PageFilters,
    row: m.Finding | None,
):
    """The finding page: the finding (clip, key frame, timeline, facts, history) and, for
    a reviewer, the queue of pending findings beside it, filtered as asked."""
    queue = None
    if principal.can(Can.REVIEW):
        where = replace(filters.where, status=FindingStatus.PENDING)
        queue = find_findings(session, settings.checklist, settings.fines, principal, where, 1, 200)
        if row is None and queue.items:
            row = finding_or_404(session, principal, queue.items[0].id)
    detail = detail_of(session, settings.checklist, settings.fines, row) if row else None
    data = {
        "finding": detail.model_dump(mode="json") if detail else None,
        "queue": queue.model_dump(mode="json") if queue else None,
        "filters": {k: v for k, v in filters.form.items() if v},
        "me": {"name": principal.name, "role": str(principal.role)},
        "can_review": principal.can(Can.REVIEW),
        "undo_s": UNDO_S,
    }
    return render(
        request,
        "finding.html",
        principal,
        data=data,
        finding=detail,
        filters=filters.form,
        filter_labels=FILTER_LABELS,
        queued=queue is not None,
        branches=visible_branches(session, principal),
        items=settings.checklist.items,
        zones=_zone_choices(session, principal),
    )


def _zone_choices(session: DbSession, principal: Principal) -> list[str]:
    """The stored zones of the caller's branches, for the finding filters to offer."""
    return zone_choices(session, [b.id for b in visible_branches(session, principal)])


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request, session: DbSession, settings: AppSettings, principal: Viewer, filters: Filters
):
    """The queue: its first pending finding's page, the queue beside it."""
    require_can(principal, Can.REVIEW)
    return _finding_page(request, session, settings, principal, filters, None)


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    filters: Filters,
    finding_id: Annotated[str, PathParam(pattern=FINDING_ID)],
):
    """One finding, for everyone who may read it (a branch manager: their branch's)."""
    require_can(principal, Can.READ_FINDINGS)
    row = finding_or_404(session, principal, finding_id)
    return _finding_page(request, session, settings, principal, filters, row)


@router.get("/reviewed", response_class=HTMLResponse)
def reviewed_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    filters: Filters,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """Decided findings, newest first, with who decided them and why."""
    require_can(principal, Can.READ_FINDINGS)
    where = replace(filters.where, decided=True)
    branches = visible_branches(session, principal)
    found = find_findings(
        session, settings.checklist, settings.fines, principal, where, page, 50, newest_first=True
    )
    return render(
        request,
        "reviewed.html",
        principal,
        found=found,
        last=last_decisions(session, [f.id for f in found.items]),
        filters=filters.form,
        query="&".join(f"{k}={quote(v)}" for k, v in filters.form.items() if v),
        branches=branches,
        zone_of={b.id: b.timezone for b in branches},
        items=settings.checklist.items,
        zones=_zone_choices(session, principal),
        pages=max(1, -(-found.total // found.per_page)),
    )
