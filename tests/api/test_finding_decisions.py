"""Decisions can be seen and reversed: an undo within a minute by the reviewer, a reopening
with a note by the reviewer or an admin, each on the finding's history and in the audit
log, each rescoring the branch-day; an appeal shuts both out. The finding lists filter as
the pages ask, and the new routes are branch-scoped like every other."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from api.tokens import issue_token
from pipeline.store import models as m
from tests.support.api import running_api


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        with api.db.session() as s:  # a second supervisor of the same region
            api.tokens["colleague"] = issue_token(s, "supervisor", "cal", region="huaian").token
        yield api


def _final(api, finding: str) -> float:
    detail = api.get("admin", f"/api/v1/findings/{finding}").json()
    day = detail["date"]
    (row,) = api.get(
        "admin", f"/api/v1/checks?branch={detail['branch']}&from={day}&to={day}"
    ).json()
    return row["final_score"]


def _review(api, who: str, finding: str, decision: str = "confirm", note: str = ""):
    return api.post(
        who, f"/api/v1/findings/{finding}/review", json={"decision": decision, "note": note}
    )


def _audit(api, finding: str) -> list[tuple[str, str]]:
    with api.db.session() as s:
        rows = s.scalars(
            select(m.AuditEntry).where(m.AuditEntry.finding_id == finding).order_by(m.AuditEntry.id)
        )
        return [(e.action, e.actor) for e in rows]


def test_confirm_undo_and_reopen_move_the_score_each_time(api):
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    start = _final(api, fid)
    done = _review(api, "supervisor", fid, note="post empty")
    assert done.status_code == 200 and done.json()["check"]["final_score"] == start - 2
    undone = api.post("supervisor", f"/api/v1/findings/{fid}/undo")
    assert undone.status_code == 200, undone.text
    assert undone.json()["finding"]["status"] == "pending"
    assert undone.json()["check"]["final_score"] == start == _final(api, fid)
    # decided again, then reopened with a note
    assert _review(api, "supervisor", fid, "confirm").json()["check"]["final_score"] == start - 2
    no_note = api.post("supervisor", f"/api/v1/findings/{fid}/reopen", json={"note": "  "})
    assert no_note.status_code == 422
    reopened = api.post("supervisor", f"/api/v1/findings/{fid}/reopen", json={"note": "wrong post"})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["check"]["final_score"] == start == _final(api, fid)
    history = [
        (r["decision"], r["reviewer"], r["note"]) for r in reopened.json()["finding"]["reviews"]
    ]
    assert history == [
        ("confirm", "sam", "post empty"),
        ("undo", "sam", ""),
        ("confirm", "sam", ""),
        ("reopen", "sam", "wrong post"),
    ]
    assert _audit(api, fid) == [
        ("review", "sam"), ("review_undo", "sam"), ("review", "sam"), ("review_reopen", "sam")
    ]  # fmt: skip
    # pending now: nothing to undo or reopen
    again = api.post("supervisor", f"/api/v1/findings/{fid}/undo")
    assert again.status_code == 409 and "no decision to undo" in again.json()["detail"]


def test_an_undo_is_for_the_reviewer_and_for_a_minute_only(api):
    fid = api.finding(api.own, "pending", "PHONE_USE")
    assert _review(api, "supervisor", fid, "dismiss").status_code == 200
    other = api.post("colleague", f"/api/v1/findings/{fid}/undo")
    assert other.status_code == 403 and "sam decided this finding" in other.json()["detail"]
    admin = api.post("admin", f"/api/v1/findings/{fid}/undo")
    assert admin.status_code == 403  # an admin reopens, with a note; an undo is one's own
    with api.db.session() as s:  # the decision was made 61 s ago
        review = s.scalars(select(m.Review).where(m.Review.finding_id == fid)).one()
        s.execute(
            update(m.Review)
            .where(m.Review.id == review.id)
            .values(at=review.at - timedelta(seconds=61))
        )
    late = api.post("supervisor", f"/api/v1/findings/{fid}/undo")
    assert late.status_code == 409 and "reopen it with a note" in late.json()["detail"]
    assert api.get("admin", f"/api/v1/findings/{fid}").json()["status"] == "dismissed"


def test_reopen_is_refused_to_another_reviewer_and_allowed_to_an_admin(api):
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    _review(api, "supervisor", fid)
    refused = api.post("colleague", f"/api/v1/findings/{fid}/reopen", json={"note": "mine now"})
    assert refused.status_code == 403
    assert "only they or an admin may reopen it" in refused.json()["detail"]
    assert api.get("admin", f"/api/v1/findings/{fid}").json()["status"] == "confirmed"
    by_admin = api.post("admin", f"/api/v1/findings/{fid}/reopen", json={"note": "second look"})
    assert by_admin.status_code == 200 and by_admin.json()["finding"]["status"] == "pending"
    assert by_admin.json()["finding"]["reviews"][-1]["reviewer"] == "ada"


@pytest.mark.parametrize(
    ("decision", "seen"),
    [("dismiss", "confirmed"), ("confirm", "confirmed"), ("dismiss", "pending")],
)
def test_a_decided_finding_changes_only_through_undo_or_reopen(api, decision, seen):
    """Issue 23 row 2: another supervisor, refused undo and reopen, may not reverse the
    decision (nor take it over, to undo it later) with a second review."""
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    assert _review(api, "supervisor", fid).status_code == 200
    score = _final(api, fid)
    assert api.post("colleague", f"/api/v1/findings/{fid}/undo").status_code == 403
    reopen = api.post("colleague", f"/api/v1/findings/{fid}/reopen", json={"note": "mine"})
    assert reopen.status_code == 403
    again = api.post(
        "colleague", f"/api/v1/findings/{fid}/review",
        json={"decision": decision, "seen_status": seen},
    )  # fmt: skip
    assert again.status_code == 409, again.text
    assert "confirmed by sam" in again.json()["detail"]
    detail = api.get("admin", f"/api/v1/findings/{fid}").json()
    assert detail["status"] == "confirmed" and [r["reviewer"] for r in detail["reviews"]] == ["sam"]
    assert _final(api, fid) == score
    assert _audit(api, fid) == [("review", "sam")]


def test_reopen_is_refused_once_the_branch_has_appealed(api):
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    _review(api, "supervisor", fid)
    filed = api.post("branch", f"/api/v1/findings/{fid}/appeal", json={"reason": "on post"})
    assert filed.status_code == 201
    for who, path, body in (
        ("supervisor", "undo", None),
        ("supervisor", "reopen", {"note": "appealed"}),
        ("admin", "reopen", {"note": "appealed"}),
    ):
        refused = api.post(who, f"/api/v1/findings/{fid}/{path}", json=body)
        assert refused.status_code == 409, refused.text
        assert "the appeal, not a reopening, decides it now" in refused.json()["detail"]
    assert api.get("admin", f"/api/v1/findings/{fid}").json()["status"] == "confirmed"


def test_the_new_routes_are_branch_scoped(api):
    own = api.finding(api.own, "confirmed")
    other = api.finding(api.other, "confirmed")
    for path in ("", "/timeline", "/clip?at=2026-11-03T03:30:00Z"):
        assert api.get("branch", f"/api/v1/findings/{other}{path}").status_code == 404
        assert api.get("supervisor", f"/api/v1/findings/{other}{path}").status_code == 404
        assert api.get("assessment", f"/api/v1/findings/{own}{path}").status_code == 403
    for path, body in (("undo", None), ("reopen", {"note": "n"})):
        assert api.post("branch", f"/api/v1/findings/{own}/{path}", json=body).status_code == 403
        assert api.post("province", f"/api/v1/findings/{own}/{path}", json=body).status_code == 403
        assert (
            api.post("supervisor", f"/api/v1/findings/{other}/{path}", json=body).status_code == 404
        )
    assert api.get("branch", f"/findings/{other}").status_code == 404
    # the workflow's NotFound (pipeline/store/reviews.py) answered once (api/errors.py):
    # a page in HTML, the API in JSON
    assert "未找到 Not found" in api.get("branch", f"/findings/{other}").text
    missing = api.get("branch", f"/api/v1/findings/{other}")
    assert missing.json() == {"detail": f"no finding {other}"}
    page = api.get("branch", f"/findings/{own}")
    assert page.status_code == 200
    # the branch manager sees who confirmed their finding, and why
    assert "night-supervisor" in page.text and "seen on the clip" in page.text
    assert api.get("branch", "/review").status_code == 403


def test_a_moment_is_refused_clearly_when_the_recordings_are_out_of_reach(api):
    """The fixture's branches have no site file: the server cannot reach their recordings."""
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    detail = api.get("admin", f"/api/v1/findings/{fid}").json()
    timeline = api.get("admin", f"/api/v1/findings/{fid}/timeline").json()
    assert timeline["samples"] == [] and timeline["clip"][0]["offset_s"] == 0
    (unknown,) = timeline["unknown"]  # nothing stored: unknown, never "as it should be"
    assert (unknown["start"], unknown["end"], unknown["camera"]) == (
        timeline["start"], timeline["end"], "counter-1"
    )  # fmt: skip
    assert timeline["start"] < detail["start"] < detail["end"] < timeline["end"]
    middle = detail["start"].replace("09:40", "09:46").replace("01:40", "01:46")
    refused = api.get("admin", f"/api/v1/findings/{fid}/clip", params={"at": middle})
    assert refused.status_code == 404
    assert refused.json()["detail"].startswith("无法调取该时刻的录像 The recordings of this moment")
    outside = api.get(
        "admin", f"/api/v1/findings/{fid}/clip", params={"at": "2026-11-02T12:00:00Z"}
    )
    assert outside.status_code == 404 and "in this finding's timeline" in outside.text
    naive = api.get("admin", f"/api/v1/findings/{fid}/clip", params={"at": "2026-11-02T01:46:00"})
    assert naive.status_code == 422
    number = api.get("admin", f"/api/v1/findings/{fid}/clip", params={"at": "0.5"})
    assert number.status_code == 422  # not read as a Unix time


def test_the_lists_filter_by_camera_zone_confidence_dates_and_reviewer(api):
    def ids(**params):
        found = api.get("admin", "/api/v1/findings", params={"per_page": 200, **params})
        assert found.status_code == 200, found.text
        return {(f["branch"], f["item"]) for f in found.json()["items"]}

    assert ids(camera="lobby-1") == {
        ("JS-HA-001", "LOBBY_MANAGER_ABSENT"), ("JS-SZ-001", "LOBBY_MANAGER_ABSENT")
    }  # fmt: skip
    assert ids(zone="desk-2") == {("JS-SZ-001", "COUNTER_CLUTTER")}
    assert ids(camera="counter", zone="post-1") == set()  # whole camera ids only
    assert ids(**{"from": "2026-11-04", "to": "2026-11-04"}) == {
        ("JS-HA-002", "PHONE_USE"), ("JS-SZ-001", "LOBBY_MANAGER_ABSENT")
    }  # fmt: skip
    assert len(ids(min_confidence=0.87)) == 8 and ids(min_confidence=0.9) == set()
    assert len(ids(reviewer="night-supervisor")) == 3  # the fixture's confirmed ones
    fid = api.finding(api.own, "pending", "PHONE_USE")
    _review(api, "supervisor", fid, "dismiss")
    assert ids(reviewer="sam") == {("JS-HA-001", "PHONE_USE")}
    assert ids(reviewer="sam", status="confirmed") == set()
    for bad in ({"min_confidence": "2"}, {"from": "yesterday"}, {"camera": "a b"}):
        assert api.get("admin", "/api/v1/findings", params=bad).status_code == 422
    page = api.get("supervisor", "/reviewed", params={"reviewer": "sam"})
    assert page.status_code == 200 and page.text.count('<tr id="finding-') == 1
    assert api.get("supervisor", "/reviewed", params={"min_confidence": "x"}).status_code == 422
