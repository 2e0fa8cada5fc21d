"""The phone candidates' rows: a unit's replace its earlier pending ones, a zone's day keeps
the best `cap` of each kind, and a review is kept whatever a later run finds.

A candidate costs the branch nothing: no finding, no score; a reviewer's answer only
labels the image for the bank's own phone model (pipeline/dataset/).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pipeline.store import models as m
from pipeline.store.people import holders, person
from pipeline.store.reviews import UNDO_S

PENDING = "pending"
DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed"}


class CandidateConflict(ValueError):
    """The candidate was decided by someone else since the reviewer saw it."""


def replace_unit_candidates(
    s: Session,
    branch: str,
    on: date,
    camera: str,
    unit_key: str,
    rows: list[m.PhoneCandidate],
    cap: int,
) -> None:
    """The unit's new crops in place of its pending ones, then each zone's day cut to the
    `cap` best of each kind (reviewed rows always stay, and count)."""
    s.execute(
        delete(m.PhoneCandidate).where(
            m.PhoneCandidate.branch_id == branch,
            m.PhoneCandidate.date == on,
            m.PhoneCandidate.camera_id == camera,
            m.PhoneCandidate.unit_key == unit_key,
            m.PhoneCandidate.status == PENDING,
        )
    )
    s.add_all(rows)
    s.flush()
    for zone, kind in {(r.zone, r.kind) for r in rows}:
        day = s.scalars(
            select(m.PhoneCandidate).where(
                m.PhoneCandidate.branch_id == branch,
                m.PhoneCandidate.date == on,
                m.PhoneCandidate.zone == zone,
                m.PhoneCandidate.kind == kind,
            )
        ).all()
        ranked = sorted(day, key=lambda r: (r.status == PENDING, -r.score, r.id))
        for row in ranked[cap:]:
            if row.status == PENDING:
                s.delete(row)


def decide(
    s: Session,
    row: m.PhoneCandidate,
    decision: str,
    seen: str,
    reviewer: str,
    box: list[float] | None,
    note: str,
) -> None:
    """Confirm ("a phone in use here", with the box as drawn) or dismiss ("not a phone":
    a hard negative). One conditional update, applied only while the row is as the
    reviewer saw it: of two reviewers deciding at once, the second is refused
    (CandidateConflict), whatever the two transactions read before."""
    if box is not None:
        x1, y1, x2, y2 = box
        if not (0 <= x1 < x2 <= row.width and 0 <= y1 < y2 <= row.height):
            raise ValueError(
                f"box {box} is not inside the {row.width}×{row.height} image "
                "(x1 < x2, y1 < y2, in its pixels)"
            )
    values = {
        "status": DECISIONS[decision],
        "reviewed_box": (list(box if box is not None else row.box) if decision == "confirm"
                         else None),
        "reviewer": reviewer,
        "reviewed_at": datetime.now(UTC),
        "note": note,
    }  # fmt: skip
    done = s.execute(
        update(m.PhoneCandidate)
        .where(m.PhoneCandidate.id == row.id, m.PhoneCandidate.status == seen)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    s.refresh(row)
    if done.rowcount != 1:
        by = f" by {row.reviewer}" if row.reviewer else ""
        raise CandidateConflict(
            f"candidate {row.id} is {row.status}{by}, not {seen} as you saw it; reload it"
        )


def undo(s: Session, row: m.PhoneCandidate, reviewer: str, now: datetime | None = None) -> None:
    """Back to pending, as a finding's undo (pipeline/store/reviews.py): only its reviewer,
    only within UNDO_S of the decision; one conditional update, so an undo and a second
    reviewer's change cannot both apply."""
    if row.status == PENDING or row.reviewed_at is None or row.reviewer is None:
        raise CandidateConflict(f"candidate {row.id} is {row.status}: nothing to undo")
    if holders(s, [row.reviewer])[row.reviewer] != person(reviewer):
        raise CandidateConflict(
            f"candidate {row.id} was decided by {row.reviewer}: only they can undo it"
        )
    at = row.reviewed_at if row.reviewed_at.tzinfo else row.reviewed_at.replace(tzinfo=UTC)
    if (now or datetime.now(UTC)) - at > timedelta(seconds=UNDO_S):
        raise CandidateConflict(
            f"candidate {row.id} was decided more than {UNDO_S:g} s ago: it can no longer be undone"
        )
    done = s.execute(
        update(m.PhoneCandidate)
        .where(
            m.PhoneCandidate.id == row.id,
            m.PhoneCandidate.status == row.status,
            m.PhoneCandidate.reviewed_at == row.reviewed_at,
        )
        .values(status=PENDING, reviewed_box=None, reviewer=None, reviewed_at=None, note="")
        .execution_options(synchronize_session=False)
    )
    s.refresh(row)
    if done.rowcount != 1:
        raise CandidateConflict(f"candidate {row.id} changed since; reload it")
