"""Phone candidates of a real night (tests/support/phone_night.py): stored best first and
capped, served branch-scoped, decided by reviewers only, and never scored."""

from __future__ import annotations

import shutil
from datetime import timedelta

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.tokens import issue_token
from pipeline.batch.candidates import PER_ZONE
from pipeline.store import models as m
from pipeline.store.candidates import replace_unit_candidates
from pipeline.store.reviews import UNDO_S
from tests.support.run_site import BRANCH


@pytest.fixture
def api(phone_night, tmp_path):
    url, evidence, _ = phone_night
    db_file = tmp_path / "copy.db"
    shutil.copy(url.removeprefix("sqlite:///"), db_file)
    app = create_app(f"sqlite:///{db_file}", evidence)
    db = app.state.settings.db
    with db.session() as s:
        tokens = {
            "supervisor": issue_token(s, "supervisor", "sam", region="test").token,
            "elsewhere": issue_token(
                s, "supervisor", "eve", region="far", allow_unknown=True
            ).token,
            "branch": issue_token(s, "branch", "bo", branch=BRANCH).token,
            "province": issue_token(s, "province", "pat").token,
        }
    with TestClient(app) as client:
        client.db = db
        client.as_ = lambda who: {"Authorization": f"Bearer {tokens[who]}"}
        yield client
    db.dispose()


def test_the_night_kept_candidates_best_first_and_capped(phone_night):
    from pipeline.store.db import Database

    db = Database(phone_night[0])
    with db.session() as s:
        rows = s.scalars(select(m.PhoneCandidate)).all()
        kinds = {r.kind for r in rows}
        assert kinds == {"candidate", "verdict"}
        for kind, day in {(r.kind, r.date) for r in rows}:  # one zone: a cap per kind and day
            mine = sorted((r for r in rows if (r.kind, r.date) == (kind, day)), key=lambda r: r.t)
            assert 0 < len(mine) <= PER_ZONE
            gaps = [(b.t - a.t).total_seconds() for a, b in zip(mine, mine[1:], strict=False)]
            assert all(g >= 10 for g in gaps)  # one moment does not fill the cap
        near = [r.score for r in rows if r.kind == "candidate"]
        assert all(0.1 <= v < 0.2 for v in near)  # under the verdict's crop_conf
        assert {r.score for r in rows if r.kind == "verdict"} == {0.7}
        for r in rows:
            image = cv2.imread(str(phone_night[1] / r.image))
            assert image.shape[:2] == (r.height, r.width)
            x1, y1, x2, y2 = r.box
            assert 0 <= x1 < x2 <= r.width and 0 <= y1 < y2 <= r.height
            assert r.persons and r.detector_version.endswith("phone:scripted-palms+scripted-phones")
        # the cap holds over a day's units: three best of a zone stay, reviewed ones too
        r0 = rows[0]
        extra = [
            m.PhoneCandidate(
                branch_id=r0.branch_id,
                date=r0.date,
                camera_id=r0.camera_id,
                zone=r0.zone,
                unit_key="other.mp4",
                kind="candidate",
                t=r0.t,
                score=0.19,
                image=r0.image,
                width=r0.width,
                height=r0.height,
                box=r0.box,
                persons=[],
                status="pending",
                created_at=r0.created_at,
            )  # fmt: skip
            for _ in range(2)
        ]
        replace_unit_candidates(s, r0.branch_id, r0.date, r0.camera_id, "other.mp4", extra, 3)
        left = s.scalars(
            select(m.PhoneCandidate.score).where(
                m.PhoneCandidate.kind == "candidate", m.PhoneCandidate.date == r0.date
            )
        ).all()
        best = max(r.score for r in rows if r.kind == "candidate" and r.date == r0.date)
        assert sorted(left, reverse=True) == [0.19, 0.19, best]
        s.rollback()
    db.dispose()


def test_reviewers_confirm_with_a_box_and_dismiss_and_nothing_is_scored(api):
    page = api.get("/api/v1/candidates", headers=api.as_("supervisor")).json()
    assert page["total"] >= 2
    days = [c["date"] for c in page["items"]]
    assert days == sorted(days) and len(set(days)) == 2  # oldest day first
    for day in set(days):
        scores = [c["score"] for c in page["items"] if c["date"] == day]
        assert scores == sorted(scores, reverse=True)  # within a day, the surest first
    first, second = page["items"][:2]
    image = api.get(first["image_url"], headers=api.as_("supervisor"))
    assert image.headers["content-type"] == "image/jpeg"
    pixels = cv2.imdecode(np.frombuffer(image.content, np.uint8), cv2.IMREAD_COLOR)
    assert pixels.shape[:2] == (first["height"], first["width"])
    with api.db.session() as s:
        before = (
            s.scalar(select(func.count()).select_from(m.Finding)),
            s.scalars(select(m.CheckScore.provisional)).all(),
        )

    box = [5.0, 6.0, 30.5, 41.0]
    url = f"/api/v1/candidates/{first['id']}/review"
    done = api.post(url, json={"decision": "confirm", "box": box}, headers=api.as_("supervisor"))
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["reviewed_box"]) == ("confirmed", box)
    assert done.json()["reviewer"] == "sam"
    again = api.post(url, json={"decision": "dismiss"}, headers=api.as_("supervisor"))
    assert again.status_code == 409 and "confirmed by sam" in again.json()["detail"]

    url2 = f"/api/v1/candidates/{second['id']}/review"
    outside = [0, 0, second["width"] + 5, 10]
    bad = api.post(
        url2, json={"decision": "confirm", "box": outside}, headers=api.as_("supervisor")
    )
    (error,) = bad.json()["detail"]  # a 422 like the model's own, on the box
    assert bad.status_code == 422 and error["loc"] == ["body", "box"] and "not inside" in error["msg"]
    no = api.post(url2, json={"decision": "dismiss"}, headers=api.as_("branch"))
    assert no.status_code == 403  # a branch reads its candidates, never labels them
    assert (
        api.post(url2, json={"decision": "dismiss"}, headers=api.as_("province")).status_code == 403
    )
    out = api.post(url2, json={"decision": "dismiss"}, headers=api.as_("supervisor")).json()
    assert (out["status"], out["reviewed_box"]) == ("dismissed", None)

    with api.db.session() as s:
        after = (
            s.scalar(select(func.count()).select_from(m.Finding)),
            s.scalars(select(m.CheckScore.provisional)).all(),
        )
        audit = s.scalars(
            select(m.AuditEntry).where(m.AuditEntry.action == "candidate_review")
        ).all()
    assert after == before  # no finding, no score: labelling costs the branch nothing
    assert [(a.actor, a.detail["decision"]) for a in audit] == [
        ("sam", "confirm"),
        ("sam", "dismiss"),
    ]
    pending = api.get("/api/v1/candidates?status=pending", headers=api.as_("supervisor")).json()
    assert pending["total"] == page["total"] - 2


def test_candidates_are_branch_scoped_and_authenticated(api):
    assert api.get("/api/v1/candidates").status_code == 401
    mine = api.get("/api/v1/candidates", headers=api.as_("branch")).json()
    assert mine["total"] > 0 and {c["branch"] for c in mine["items"]} == {BRANCH}
    theirs = api.get("/api/v1/candidates", headers=api.as_("elsewhere")).json()
    assert theirs["total"] == 0
    cid = mine["items"][0]["id"]
    for path in (f"/api/v1/candidates/{cid}", f"/api/v1/candidates/{cid}/image"):
        assert api.get(path, headers=api.as_("elsewhere")).status_code == 404
    review = api.post(
        f"/api/v1/candidates/{cid}/review", json={"decision": "dismiss"},
        headers=api.as_("elsewhere"),
    )  # fmt: skip
    assert review.status_code == 404
    page = api.get("/candidates", headers=api.as_("supervisor"))
    assert page.status_code == 200 and "手机候选 Phone candidates" in page.text
    assert api.get("/candidates", headers=api.as_("branch")).status_code == 403


def test_an_undo_sets_ones_own_decision_back_within_the_window_only(api):
    first, second = api.get(
        "/api/v1/candidates?status=pending", headers=api.as_("supervisor")
    ).json()["items"][:2]
    url = f"/api/v1/candidates/{first['id']}"
    assert api.post(f"{url}/undo", headers=api.as_("supervisor")).status_code == 409  # pending
    done = api.post(
        f"{url}/review", json={"decision": "confirm", "note": "in hand"},
        headers=api.as_("supervisor"),
    )  # fmt: skip
    assert done.status_code == 200
    assert api.post(f"{url}/undo", headers=api.as_("branch")).status_code == 403  # not a reviewer
    undone = api.post(f"{url}/undo", headers=api.as_("supervisor"))
    assert undone.status_code == 200, undone.text
    back = undone.json()
    assert back["status"] == "pending" and back["reviewer"] is None
    assert back["reviewed_box"] is None and back["note"] == ""
    # past the window: refused, the decision stands
    late = f"/api/v1/candidates/{second['id']}"
    api.post(f"{late}/review", json={"decision": "dismiss"}, headers=api.as_("supervisor"))
    with api.db.session() as s:
        row = s.get(m.PhoneCandidate, second["id"])
        row.reviewed_at = row.reviewed_at - timedelta(seconds=UNDO_S + 1)
    refused = api.post(f"{late}/undo", headers=api.as_("supervisor"))
    assert refused.status_code == 409 and "can no longer be undone" in refused.json()["detail"]
    assert api.get(late, headers=api.as_("supervisor")).json()["status"] == "dismissed"
