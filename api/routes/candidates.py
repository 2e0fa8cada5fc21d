"""Phone candidates: their JSON routes and their review page (api/candidates.py holds the
queries). Reading is for whoever reads findings, in their branches; deciding is for
reviewers; nothing here changes a finding or a score."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse

from api.auth import Can, Principal, require
from api.candidates import (
    CandidateOut,
    CandidateReviewIn,
    candidate_or_404,
    candidate_out,
    find_candidates,
    image_path,
    review_candidate,
    undo_candidate,
)
from api.deps import AppSettings, DbSession
from api.errors import BYTE_RANGES, error_responses
from api.filters import choices
from api.rendering import Viewer, render, require_can
from api.schemas import BRANCH_ID, IsoDate, Page, Status
from pipeline.store.reviews import UNDO_S

router = APIRouter(prefix="/api/v1/candidates", tags=["candidates"])
page_router = APIRouter(include_in_schema=False)

CandidateId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]  # the INTEGER key PostgreSQL stores
Reader = Annotated[Principal, require(Can.READ_FINDINGS)]


@router.get("", responses=error_responses(403, 404))
def list_candidates(
    session: DbSession,
    principal: Reader,
    branch: Annotated[str | None, Query(pattern=BRANCH_ID)] = None,
    day: Annotated[IsoDate | None, Query(alias="date")] = None,
    status: Status | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CandidateOut]:
    """Oldest day first, the surest first within a day."""
    return find_candidates(session, principal, branch, day, status, page, per_page)


@router.get("/{candidate_id}", responses=error_responses(403, 404))
def get_candidate(candidate_id: CandidateId, session: DbSession, principal: Reader) -> CandidateOut:
    return candidate_out(*candidate_or_404(session, principal, candidate_id))


@router.get(
    "/{candidate_id}/image",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, **BYTE_RANGES, **error_responses(403, 404)},
)
def image(candidate_id: CandidateId, session: DbSession, settings: AppSettings, principal: Reader):
    """The crop at the recorded resolution, customers' heads blurred."""
    row, _ = candidate_or_404(session, principal, candidate_id)
    return FileResponse(image_path(settings.evidence_root, row), media_type="image/jpeg")


@router.post(
    "/{candidate_id}/review",
    responses=error_responses(403, 404, 413, conflict="decided since the reviewer saw it"),
)
def review(
    candidate_id: CandidateId,
    body: CandidateReviewIn,
    session: DbSession,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> CandidateOut:
    """Confirm (a phone in use, with the box as drawn) or dismiss (not a phone)."""
    return review_candidate(session, principal, candidate_id, body)


@router.post(
    "/{candidate_id}/undo",
    responses=error_responses(403, 404, conflict="not the caller's, or past the undo window"),
)
def undo_review(
    candidate_id: CandidateId,
    session: DbSession,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> CandidateOut:
    """The caller's own decision on a candidate set back to pending, within the minute
    after it (as a finding's undo)."""
    return undo_candidate(session, principal, candidate_id)


@page_router.get("/candidates", response_class=HTMLResponse)
def candidates_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    branch: Annotated[str, Query(pattern="^$|" + BRANCH_ID)] = "",
):
    """The queue of pending candidates; the script decides them one after another. Its
    filter is the findings' form (api/templates/filters.html), by branch."""
    require_can(principal, Can.REVIEW)
    queue = find_candidates(session, principal, branch or None, None, "pending", 1, 200)
    return render(
        request,
        "candidates.html",
        principal,
        data={"queue": queue.model_dump(mode="json"), "branch": branch, "undo_s": UNDO_S},
        branch=branch,
        form={"branch": branch},
        choices=choices(session, principal, settings.checklist),
    )
