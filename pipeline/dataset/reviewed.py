"""The reviewed phone evidence, one record per image: what the export writes and the
evaluation scores, read one way.

Two pools feed it. Phone candidates (pipeline/batch/candidates.py) reviewed on their own
page: confirmed, the phone is where the reviewer drew it; dismissed, the crop holds no
phone (a hard negative). And PHONE_USE findings reviewed as findings: the crops the phone
stage kept of the phones it saw in the finding's zone and time (`kind` "verdict"), with the
stage's box when the finding stands, and as hard negatives when it was dismissed.
Pending material is never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database

SOURCES = ("candidates", "findings")
PHONE_ITEM = "PHONE_USE"
DECIDED = ("confirmed", "dismissed")

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ReviewedImage:
    key: str  # "candidate:<id>": the stored crop; unique over both pools
    source: str  # candidates | findings
    image: str  # relative to the evidence root
    width: int
    height: int
    phones: tuple[Box, ...]  # image pixels; none: a hard negative
    persons: tuple[Box, ...]
    branch: str
    camera: str
    day: date
    t: datetime
    candidate_id: int
    finding_id: str | None
    review_id: int | None  # the finding's review (candidates are their own review)
    reviewer: str
    reviewed_at: datetime | None
    decision: str  # confirmed | dismissed

    @property
    def positive(self) -> bool:
        return bool(self.phones)

    @property
    def camera_day(self) -> tuple[str, str, date]:
        return self.branch, self.camera, self.day


def _box(values) -> Box:
    return tuple(float(v) for v in values)


def _record(row: m.PhoneCandidate, source: str, decision: str, phones, **who) -> ReviewedImage:
    return ReviewedImage(
        key=f"candidate:{row.id}", source=source, image=row.image, width=row.width,
        height=row.height, phones=tuple(phones),
        persons=tuple(_box(p) for p in row.persons), branch=row.branch_id,
        camera=row.camera_id, day=row.date, t=row.t, candidate_id=row.id,
        decision=decision, **who,
    )  # fmt: skip


def reviewed_images(
    db: Database, since: date | None = None, sources: tuple[str, ...] = SOURCES
) -> list[ReviewedImage]:
    """Every reviewed image from `since` on, in time order."""
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown source {sorted(unknown)}: choose from {', '.join(SOURCES)}")
    out = []
    with db.session() as s:
        if "candidates" in sources:
            stmt = select(m.PhoneCandidate).where(
                m.PhoneCandidate.kind == "candidate", m.PhoneCandidate.status.in_(DECIDED)
            )
            if since:
                stmt = stmt.where(m.PhoneCandidate.date >= since)
            for row in s.scalars(stmt):
                confirmed = row.status == "confirmed"
                out.append(
                    _record(
                        row,
                        "candidates",
                        row.status,
                        [_box(row.reviewed_box or row.box)] if confirmed else [],
                        finding_id=None,
                        review_id=None,
                        reviewer=row.reviewer or "",
                        reviewed_at=row.reviewed_at,
                    )  # fmt: skip
                )
        if "findings" in sources:
            stmt = select(m.Finding).where(
                m.Finding.item == PHONE_ITEM, m.Finding.status.in_(DECIDED)
            )
            if since:
                stmt = stmt.where(m.Finding.date >= since)
            for finding in s.scalars(stmt):
                out += _finding_images(s, finding)
    return sorted(out, key=lambda r: (r.t, r.key))


def _finding_images(s, finding: m.Finding) -> list[ReviewedImage]:
    """The finding's verdict crops, labelled by its standing status: the last review, or
    the appeal's decision when one changed it."""
    review = finding.reviews[-1] if finding.reviews else None
    appeal = next((a for a in reversed(finding.appeals) if a.decided_at is not None), None)
    later = appeal is not None and (review is None or appeal.decided_at >= review.at)
    who = {
        "finding_id": finding.id,
        "review_id": review.id if review else None,
        "reviewer": (appeal.decided_by if later else review.reviewer if review else "") or "",
        "reviewed_at": appeal.decided_at if later else review.at if review else None,
    }
    rows = s.scalars(
        select(m.PhoneCandidate).where(
            m.PhoneCandidate.kind == "verdict",
            m.PhoneCandidate.branch_id == finding.branch_id,
            m.PhoneCandidate.date == finding.date,
            m.PhoneCandidate.zone == finding.zone,
            m.PhoneCandidate.camera_id.in_(finding.cameras),
            m.PhoneCandidate.t >= finding.start,
            m.PhoneCandidate.t <= finding.end,
        )
    )
    confirmed = finding.status == "confirmed"
    return [
        _record(row, "findings", finding.status, [_box(row.box)] if confirmed else [], **who)
        for row in rows
    ]
