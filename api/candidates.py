"""The phone candidates' query layer and bodies, for their JSON routes and their page.

A candidate is a staff-zone crop the phone stage found phone-like under its verdict's
threshold (pipeline/batch/candidates.py). Its review labels an image for the bank's own
phone model and nothing else: no finding, no score, no appeal.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth import Principal, scoped
from api.deps import evidence_file
from api.queries import audit, branch_or_404
from api.schemas import Note, Page, Status
from pipeline.store import models as m
from pipeline.store.candidates import CandidateConflict, decide, undo
from rules.config import StrictModel

#: only the stage's near misses are reviewed here; its verdicts are reviewed as findings
KIND = "candidate"

Box = Annotated[list[Annotated[float, Field(ge=0, le=100_000)]], Field(min_length=4, max_length=4)]


class CandidateOut(BaseModel):
    id: int
    branch: str
    date: date
    camera: str
    zone: str
    t: datetime  # the branch's wall clock
    score: float = Field(description="the crop detector's phone score of `box`")
    width: int
    height: int
    box: list[float] = Field(description="[x1, y1, x2, y2] pixels of the image, as detected")
    persons: list[list[float]]
    status: Status
    reviewed_box: list[float] | None = Field(description="the phone's box as the reviewer drew it")
    reviewer: str | None
    reviewed_at: datetime | None
    note: str
    image_url: str


class CandidateReviewIn(StrictModel):
    decision: Literal["confirm", "dismiss"] = Field(
        description="confirm: a phone in use here; dismiss: not a phone (a hard negative)"
    )
    box: Box | None = Field(
        default=None,
        description="confirm only: the phone's [x1, y1, x2, y2] in image pixels, as drawn; "
        "absent: the detected box",
    )
    note: Note = ""
    seen_status: Status = Field(
        default="pending",
        description="the status the reviewer saw; if it has changed since, 409",
    )

    @model_validator(mode="after")
    def _box_with_confirm(self) -> CandidateReviewIn:
        if self.box is not None and self.decision != "confirm":
            raise ValueError("a box goes with confirm only: a dismissed crop has no phone")
        return self


def candidate_out(row: m.PhoneCandidate, tz: str) -> CandidateOut:
    return CandidateOut(
        id=row.id, branch=row.branch_id, date=row.date, camera=row.camera_id, zone=row.zone,
        t=row.t.astimezone(ZoneInfo(tz)), score=row.score, width=row.width, height=row.height,
        box=row.box, persons=row.persons, status=row.status, reviewed_box=row.reviewed_box,
        reviewer=row.reviewer, reviewed_at=row.reviewed_at, note=row.note,
        image_url=f"/api/v1/candidates/{row.id}/image",
    )  # fmt: skip


def find_candidates(
    session: Session,
    principal: Principal,
    branch: str | None = None,
    day: date | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[CandidateOut]:
    """Best first within each day, oldest day first: the surest near misses are the
    cheapest labels."""
    stmt = scoped(
        select(m.PhoneCandidate, m.Branch.timezone).join(m.Branch), principal,
        m.PhoneCandidate.branch_id,
    ).where(m.PhoneCandidate.kind == KIND)  # fmt: skip
    if branch:
        branch_or_404(session, principal, branch)  # out of scope: 404, as for findings
        stmt = stmt.where(m.PhoneCandidate.branch_id == branch)
    if day:
        stmt = stmt.where(m.PhoneCandidate.date == day)
    if status:
        stmt = stmt.where(m.PhoneCandidate.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(
        stmt.order_by(m.PhoneCandidate.date, m.PhoneCandidate.score.desc(), m.PhoneCandidate.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(
        items=[candidate_out(r, tz) for r, tz in rows], total=total, page=page, per_page=per_page
    )


def candidate_or_404(session: Session, principal: Principal, candidate_id: int):
    row = session.execute(
        scoped(
            select(m.PhoneCandidate, m.Branch.timezone).join(m.Branch), principal,
            m.PhoneCandidate.branch_id,
        ).where(m.PhoneCandidate.id == candidate_id, m.PhoneCandidate.kind == KIND)
    ).one_or_none()  # fmt: skip
    if row is None:
        raise HTTPException(404, f"no candidate {candidate_id}")
    return row[0], row[1]


def review_candidate(
    session: Session, principal: Principal, candidate_id: int, body: CandidateReviewIn
) -> CandidateOut:
    row, tz = candidate_or_404(session, principal, candidate_id)
    try:
        decide(session, row, body.decision, body.seen_status, principal.name, body.box, body.note)
    except CandidateConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except ValueError as exc:  # the box and the stored image: a 422 like the model's own
        raise RequestValidationError(
            [{"loc": ("body", "box"), "msg": str(exc), "type": "value_error"}]
        ) from None
    audit(
        session, principal, "candidate_review", None, candidate=row.id,
        decision=body.decision, box=row.reviewed_box, note=body.note,
    )  # fmt: skip
    session.flush()
    return candidate_out(row, tz)


def undo_candidate(session: Session, principal: Principal, candidate_id: int) -> CandidateOut:
    """The caller's own decision set back to pending, within the undo window."""
    row, tz = candidate_or_404(session, principal, candidate_id)
    try:
        undo(session, row, principal.name)
    except CandidateConflict as exc:
        raise HTTPException(409, str(exc)) from None
    audit(session, principal, "candidate_undo", None, candidate=row.id)
    session.flush()
    return candidate_out(row, tz)


def image_path(root: Path, row: m.PhoneCandidate) -> Path:
    """The crop, only if it lies inside the evidence root (api/deps.py, evidence_file)."""
    path = evidence_file(root, row.image)
    if path is None:
        raise HTTPException(404, f"the image of candidate {row.id} is not in the evidence store")
    return path
