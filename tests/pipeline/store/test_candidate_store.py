"""The candidates' table (migration 0007) on both databases: a unit's crops replace its
pending ones, a zone's day keeps its best `cap`, reviewed rows stay whatever comes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.candidates import CandidateConflict, decide, replace_unit_candidates
from pipeline.store.db import Database

T0 = datetime(2026, 11, 2, 2, tzinfo=UTC)
DAY = date(2026, 11, 2)


def _rows(unit: str, scores: list[float]) -> list[m.PhoneCandidate]:
    return [
        m.PhoneCandidate(
            branch_id="B1",
            date=DAY,
            camera_id="c",
            zone="post",
            unit_key=unit,
            kind="candidate",
            t=T0 + timedelta(seconds=30 * i),
            score=v,
            image=f"{unit}{i}.jpg",
            width=100,
            height=80,
            box=[10, 10, 30, 40],
            persons=[],
            status="pending",
            created_at=T0,
        )  # fmt: skip
        for i, v in enumerate(scores)
    ]


def _scores(db) -> list[float]:
    with db.session() as s:
        return sorted(s.scalars(select(m.PhoneCandidate.score)), reverse=True)


def test_units_replace_their_pending_crops_and_the_day_keeps_its_best(db_url):
    db = Database(db_url)
    with db.session() as s:
        s.add(m.Branch(id="B1", name="b", region="r", timezone="Asia/Shanghai", updated_at=T0))
    with db.session() as s:
        replace_unit_candidates(s, "B1", DAY, "c", "a.mp4", _rows("a", [0.11, 0.15, 0.12]), 4)
    with db.session() as s:
        replace_unit_candidates(s, "B1", DAY, "c", "b.mp4", _rows("b", [0.19, 0.18]), 4)
    assert _scores(db) == [0.19, 0.18, 0.15, 0.12]  # the cap over the day's units
    with db.session() as s:
        best = s.scalars(select(m.PhoneCandidate).where(m.PhoneCandidate.score == 0.15)).one()
        decide(s, best, "confirm", "pending", "sam", [1, 2, 50, 60], "")
        with pytest.raises(CandidateConflict, match="confirmed by sam"):
            decide(s, best, "dismiss", "pending", "eve", None, "")
        with pytest.raises(ValueError, match="not inside the 100×80 image"):
            decide(s, s.scalars(select(m.PhoneCandidate).where(m.PhoneCandidate.status == "pending")).first(), "confirm", "pending", "s",
                   [0, 0, 120, 10], "")  # fmt: skip
    with db.session() as s:  # unit a redone: its pending crops go, its reviewed one stays
        replace_unit_candidates(s, "B1", DAY, "c", "a.mp4", _rows("a", [0.13]), 4)
    assert _scores(db) == [0.19, 0.18, 0.15, 0.13]
    with db.session() as s:
        kept = s.scalars(select(m.PhoneCandidate).where(m.PhoneCandidate.status != "pending"))
        assert [(r.score, r.reviewed_box, r.reviewer) for r in kept] == [
            (0.15, [1, 2, 50, 60], "sam")
        ]
    db.dispose()
