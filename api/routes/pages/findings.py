"""The review queue, a finding's page and the reviewed list, with their filter form
(api/filters.py, api/templates/filters.html)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from api.auth import Can, Principal
from api.deps import AppSettings, DbSession
from api.filters import FindingFilter, FormFilter, Sort, choices
from api.queries import detail_of, find_findings, finding_or_404, last_decisions, zone_labels
from api.rendering import Viewer, render, require_can
from api.schemas import FINDING_ID
from pipeline.store import models as m
from pipeline.store.reviews import UNDO_S
from rules.findings import FindingStatus

router = APIRouter(include_in_schema=False)


def _finding_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Principal,
    where: FindingFilter,
    row: m.Finding | None,
):
    """The finding page: the finding (clip, key frame, timeline, facts, history) and, for
    a reviewer, the queue of pending findings beside it, filtered and sorted as asked;
    when the filter matches none, how many are pending elsewhere."""
    form = where.form()
    active = [(k, v) for k, v in form.items() if v and k != "sort"]  # what narrows the queue
    queue, elsewhere = None, 0
    if principal.can(Can.REVIEW):
        pending = where.model_copy(update={"status": FindingStatus.PENDING})
        queue = find_findings(
            session, settings.checklist, settings.fines, principal, pending, 1, 200
        )
        if row is None and queue.items:
            row = finding_or_404(session, principal, queue.items[0].id)
        if active:  # said once the queue is empty: decisions here leave these as they are
            every = FindingFilter(status=FindingStatus.PENDING)
            everywhere = find_findings(
                session, settings.checklist, settings.fines, principal, every, 1, 1
            ).total
            elsewhere = everywhere - queue.total
    detail = detail_of(session, settings.checklist, settings.fines, row) if row else None
    data = {
        "finding": detail.model_dump(mode="json") if detail else None,
        "queue": queue.model_dump(mode="json") if queue else None,
        "filters": {k: v for k, v in form.items() if v},
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
        filters=form,
        active=active,
        queued=queue is not None,
        choices=choices(session, principal, settings.checklist),
        elsewhere=elsewhere,
    )


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    where: FormFilter,
):
    """The queue: its first pending finding's page, the queue beside it."""
    require_can(principal, Can.REVIEW)
    return _finding_page(request, session, settings, principal, where, None)


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    where: FormFilter,
    finding_id: Annotated[str, PathParam(pattern=FINDING_ID)],
):
    """One finding, for everyone who may read it (a branch manager: their branch's)."""
    require_can(principal, Can.READ_FINDINGS)
    row = finding_or_404(session, principal, finding_id)
    return _finding_page(request, session, settings, principal, where, row)


@router.get("/reviewed", response_class=HTMLResponse)
def reviewed_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    where: FormFilter,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """Decided findings, newest first unless sorted otherwise, with who decided them and
    why."""
    require_can(principal, Can.READ_FINDINGS)
    offered = choices(session, principal, settings.checklist)
    found = find_findings(
        session, settings.checklist, settings.fines, principal, where, page, 50,
        decided=True, sort=Sort.NEWEST,
    )  # fmt: skip
    return render(
        request,
        "reviewed.html",
        principal,
        found=found,
        last=last_decisions(session, [f.id for f in found.items]),
        filters=where.form(),
        query=where.query(),
        zone_of={b.id: b.timezone for b in offered.branches},
        zones=zone_labels(session, found.items),  # as the form and the timeline name them
        choices=offered,
        pages=max(1, -(-found.total // found.per_page)),
    )
