"""A race with real threads, on SQLite and PostgreSQL: two reviewers deciding one pending
candidate at once; the second gets 409, never a silent last write. (Wrong logins and
guessed tokens sent at once: tests/api/test_guessing.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from tests.support.api import DAYS, running_api
from tests.support.threads import all_at_once

TRIALS = 10


@pytest.fixture(scope="module")
def api(module_db_url, tmp_path_factory):
    with running_api(module_db_url, tmp_path_factory.mktemp("evidence")) as api:
        yield api



def _candidates(api, n: int) -> list[int]:
    with api.db.session() as s:
        rows = [
            m.PhoneCandidate(
                branch_id=api.own, date=DAYS[0], camera_id="counter-1", zone="post-1",
                unit_key=f"race-{i}", kind="candidate", t=datetime(2026, 11, 2, 2, i, tzinfo=UTC),
                score=0.15, image="none.jpg", width=100, height=80, box=[1, 2, 30, 40],
                persons=[], detector_version="race", created_at=datetime.now(UTC),
            )
            for i in range(n)
        ]  # fmt: skip
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def test_two_reviewers_deciding_one_candidate_at_once_the_second_gets_409(api):
    decided = []
    for cid in _candidates(api, TRIALS):
        url = f"/api/v1/candidates/{cid}/review"
        confirm, dismiss = all_at_once([
            partial(api.post, "supervisor", url, json={"decision": "confirm"}),
            partial(api.post, "admin", url, json={"decision": "dismiss"}),
        ])  # fmt: skip
        statuses = sorted([confirm.status_code, dismiss.status_code])
        assert statuses == [200, 409], (confirm.text, dismiss.text)
        winner = confirm if confirm.status_code == 200 else dismiss
        loser = dismiss if winner is confirm else confirm
        assert "as you saw it" in loser.json()["detail"]
        with api.db.session() as s:
            row = s.get(m.PhoneCandidate, cid)
            assert (row.status, row.reviewer) == (
                winner.json()["status"],
                winner.json()["reviewer"],
            )
            audited = s.scalars(
                select(m.AuditEntry).where(m.AuditEntry.action == "candidate_review")
            ).all()
            assert [a.detail["candidate"] for a in audited].count(cid) == 1  # the winner's only
        decided.append(row.status)
    assert len(decided) == TRIALS
