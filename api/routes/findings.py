"""Findings, their evidence, and the decisions that change their status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse

from api.auth import Can, Principal, require
from api.bulk import BulkIn, BulkPreviewOut
from api.bulk import bulk_preview as preview_of
from api.deps import AppSettings, DbSession, evidence_file
from api.errors import BYTE_RANGES, ErrorOut, error_responses
from api.filters import FindingFilter
from api.moment_clips import MomentProgressOut, moment_clip
from api.queries import (
    actor_of,
    check_of,
    detail_of,
    find_findings,
    finding_or_404,
    timezone_of,
)
from api.schemas import (
    FINDING_ID,
    ISO_MOMENT,
    AppealIn,
    AppealOut,
    FindingDetail,
    FindingOut,
    IsoMoment,
    Page,
    ReopenFindingIn,
    ReviewIn,
    ReviewResult,
    TimelineOut,
    appeal_out,
    check_out,
)
from api.timeline import finding_timeline
from pipeline.evidence.clips import reference_path
from pipeline.store import models as m
from pipeline.store import reviews
from pipeline.store.reviews import Step

router = APIRouter(prefix="/api/v1/findings", tags=["findings"])

FindingId = Annotated[str, PathParam(pattern=FINDING_ID)]
Reader = Annotated[Principal, require(Can.READ_FINDINGS)]


@router.get("", responses=error_responses(403, 404))
def list_findings(
    session: DbSession,
    settings: AppSettings,
    principal: Reader,
    where: Annotated[FindingFilter, Query()],
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[FindingOut]:
    """Oldest first unless `sort` says otherwise, so a reviewer works through a night in
    the order it happened; `reviewer`: the findings that person confirmed or dismissed.
    The same filter as the review queue's and the reviewed list's (api/filters.py)."""
    return find_findings(
        session, settings.checklist, settings.fines, principal, where, page, per_page
    )


@router.get("/{finding_id}", responses=error_responses(403, 404))
def get_finding(
    finding_id: FindingId, session: DbSession, settings: AppSettings, principal: Reader
) -> FindingDetail:
    row = finding_or_404(session, principal, finding_id)
    return detail_of(session, settings.checklist, settings.fines, row)


def _evidence(settings: AppSettings, relative: str | None, what: str) -> Path:
    """The evidence file, only if it lies inside the evidence root once links are resolved."""
    if not relative:
        raise HTTPException(404, f"this finding has no {what}")
    path = evidence_file(settings.evidence_root, relative)
    if path is None:
        raise HTTPException(404, f"the {what} of this finding is not in the evidence store")
    return path


@router.get(
    "/{finding_id}/clip",
    response_class=FileResponse,
    responses={
        200: {"content": {"video/mp4": {}}},
        202: {
            "model": MomentProgressOut,
            "description": "with `at`: the moment's clip is being drawn; ask `poll` again",
        },
        **BYTE_RANGES,
        **error_responses(403, 404),
        429: {"model": ErrorOut, "description": "with `at`: the caller's clips being drawn "
              "are at their limit; or too many invalid tokens from this address. Ask again "
              "after Retry-After"},
        503: {"model": ErrorOut, "description": "with `at`: the queue of clips to draw is "
              "full; ask again after Retry-After"},
    },
)  # fmt: skip
def clip(
    finding_id: FindingId,
    session: DbSession,
    settings: AppSettings,
    principal: Reader,
    at: Annotated[
        IsoMoment | None,
        Query(
            json_schema_extra={"pattern": ISO_MOMENT},
            description="a moment of the finding's timeline: a short clip around it, drawn "
            "from the recordings on first request (202 with its progress until it is "
            "ready) and kept in the evidence store",
        ),
    ] = None,
):
    """The evidence clip, or with `at` a clip of that moment (404 when this server cannot
    reach the branch's recordings); byte ranges are honoured so a browser can seek."""
    row = finding_or_404(session, principal, finding_id)
    if at is None:
        return FileResponse(_evidence(settings, row.clip, "clip"), media_type="video/mp4")
    got = moment_clip(session, settings, principal, row, at)
    if isinstance(got, MomentProgressOut):
        return JSONResponse(
            got.model_dump(), status_code=202, headers={"Retry-After": str(got.retry_after)}
        )
    return FileResponse(got, media_type="video/mp4")


@router.get("/{finding_id}/timeline", responses=error_responses(403, 404))
def timeline(
    finding_id: FindingId, session: DbSession, settings: AppSettings, principal: Reader
) -> TimelineOut:
    """The zone's stored samples and states around the finding, the time nobody could
    see (unknown, never absent), and the wall-clock spans the evidence clip shows."""
    row = finding_or_404(session, principal, finding_id)
    return finding_timeline(session, row, timezone_of(session, row.branch_id), settings.checklist)


@router.get(
    "/{finding_id}/keyframe",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, **BYTE_RANGES, **error_responses(403, 404)},
)
def keyframe(finding_id: FindingId, session: DbSession, settings: AppSettings, principal: Reader):
    row = finding_or_404(session, principal, finding_id)
    return FileResponse(_evidence(settings, row.keyframe, "key frame"), media_type="image/jpeg")


@router.get(
    "/{finding_id}/reference",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, **BYTE_RANGES, **error_responses(403, 404)},
)
def reference(finding_id: FindingId, session: DbSession, settings: AppSettings, principal: Reader):
    """A clutter finding's clean reference (the photo of the clean counter its clutter is
    measured against), drawn at its key frame's size with the zones, to lay beside it.
    Its name is made from the finding's key frame (pipeline/evidence/clips.reference_path),
    never taken from the request."""
    row = finding_or_404(session, principal, finding_id)
    relative = reference_path(row.keyframe) if row.keyframe else None
    if relative is None or evidence_file(settings.evidence_root, relative) is None:
        raise HTTPException(
            404,
            "此发现没有整洁参考图（只有配置了参考照片的柜台区域才有）This finding has no clean "
            "reference: only counter-surface zones given a reference photo in the site file "
            "have one",
        )
    return FileResponse(_evidence(settings, relative, "clean reference"), media_type="image/jpeg")


@router.post(
    "/{finding_id}/review",
    responses=error_responses(
        403, 404, 413, conflict="not pending, changed since the reviewer saw it, or under appeal"
    ),
)
def review(
    finding_id: FindingId,
    body: ReviewIn,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> ReviewResult:
    """Confirm or dismiss a pending finding; the branch-day's scores are recomputed in the
    same transaction. A decided finding changes only through undo or reopen, and once the
    branch has appealed, only the appeal's decision changes it (pipeline/store/reviews.py)."""
    row = finding_or_404(session, principal, finding_id)
    reviews.review(
        session, actor_of(principal), row, Step(body.decision), body.seen_status, body.note,
        settings.checklist, body.reason_code,
    )  # fmt: skip
    return _result(session, settings, row)


def _result(session: DbSession, settings: AppSettings, row: m.Finding) -> ReviewResult:
    """The finding as it is now, and its branch-day's scores after the change."""
    check = check_of(session, row.branch_id, row.date)
    region = session.get(m.Branch, row.branch_id).region
    return ReviewResult(
        finding=detail_of(session, settings.checklist, settings.fines, row),
        check=check_out(check, region, settings.checklist) if check else None,
    )


@router.post(
    "/{finding_id}/undo",
    responses=error_responses(
        403, 404, conflict="not decided, decided over a minute ago, or under appeal"
    ),
)
def undo(
    finding_id: FindingId,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> ReviewResult:
    """Take back one's own confirm or dismiss within a minute of it: the finding is pending
    again, the branch-day rescored, and the undo is in its history and the audit log."""
    row = finding_or_404(session, principal, finding_id)
    reviews.set_back(session, actor_of(principal), row, Step.UNDO, "", settings.checklist)
    return _result(session, settings, row)


@router.post(
    "/{finding_id}/reopen",
    responses=error_responses(403, 404, 413, conflict="not decided, or under appeal"),
)
def reopen(
    finding_id: FindingId,
    body: ReopenFindingIn,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> ReviewResult:
    """Set a confirmed or dismissed finding back to pending, with a note, for its reviewer
    or an admin; refused (409) once the branch has appealed: the appeal decides then."""
    row = finding_or_404(session, principal, finding_id)
    reviews.set_back(session, actor_of(principal), row, Step.REOPEN, body.note, settings.checklist)
    return _result(session, settings, row)


@router.post(
    "/{finding_id}/appeal",
    status_code=201,
    responses=error_responses(403, 404, 413, conflict="not confirmed, or already appealed"),
)
def appeal(
    finding_id: FindingId,
    body: AppealIn,
    session: DbSession,
    principal: Annotated[Principal, require(Can.APPEAL)],
) -> AppealOut:
    """The branch disputes a confirmed finding; the level above decides (one appeal each)."""
    row = finding_or_404(session, principal, finding_id)
    return appeal_out(reviews.file_appeal(session, actor_of(principal), row, body.reason))


@router.post("/bulk/preview", responses=error_responses(403, 404, 413))
def bulk_preview(
    body: BulkIn,
    session: DbSession,
    settings: AppSettings,
    principal: Annotated[Principal, require(Can.REVIEW)],
) -> BulkPreviewOut:
    """What deciding these pending findings together would do, per branch (the findings,
    the points of final score, the yuan of fines), without doing it: the review page's
    bulk confirm step shows it; the decisions are then sent one by one (`/review`)."""
    return preview_of(session, settings.checklist, settings.fines, principal, body)
