"""Appeals go to the level above and are final: the province decides, never a reviewer of
the finding; an appealed finding changes only by the appeal's decision; a decision stands
unless an admin reopens it, on the record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from tests.support.api import running_api


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _final(api, finding: str) -> float:
    detail = api.get("admin", f"/api/v1/findings/{finding}").json()
    day = detail["date"]
    (row,) = api.get(
        "admin", f"/api/v1/checks?branch={detail['branch']}&from={day}&to={day}"
    ).json()
    return row["final_score"]


def _appeal(api, finding: str) -> int:
    filed = api.post("branch", f"/api/v1/findings/{finding}/appeal", json={"reason": "on post"})
    assert filed.status_code == 201, filed.text
    return filed.json()["id"]


def _decide(api, who: str, appeal: int, decision: str):
    return api.post(who, f"/api/v1/appeals/{appeal}/decision", json={"decision": decision})


def test_the_supervisor_reviews_and_the_province_decides(api):
    appeal = _appeal(api, api.finding(api.own, "confirmed"))
    refused = _decide(api, "supervisor", appeal, "grant")
    assert refused.status_code == 403 and "may not decide appeals" in refused.json()["detail"]
    listed = api.get("supervisor", "/api/v1/appeals").json()  # the region's, to read
    assert [a["id"] for a in listed] == [appeal]
    decided = _decide(api, "province", appeal, "grant")
    assert decided.status_code == 200 and decided.json()["decided_by"] == "pat"


def test_whoever_reviewed_the_finding_may_not_decide_its_appeal(api):
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    reviewed = api.post("admin", f"/api/v1/findings/{fid}/review", json={"decision": "confirm"})
    assert reviewed.status_code == 200
    appeal = _appeal(api, fid)
    refused = _decide(api, "admin", appeal, "grant")
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert "separation of duties" in detail and "ada reviewed" in detail and fid in detail
    assert api.get("admin", f"/api/v1/findings/{fid}").json()["status"] == "confirmed"
    assert _decide(api, "province", appeal, "grant").status_code == 200


@pytest.mark.parametrize(
    ("decision", "seen", "review"),
    [("grant", "dismissed", "confirm"), ("uphold", "confirmed", "dismiss")],
)
def test_an_appealed_finding_changes_only_by_the_appeals_decision(api, decision, seen, review):
    fid = api.finding(api.own, "confirmed")
    appeal = _appeal(api, fid)
    url = f"/api/v1/findings/{fid}/review"
    pending = api.post("admin", url, json={"decision": "dismiss", "seen_status": "confirmed"})
    assert pending.status_code == 409 and f"appealed this finding (appeal {appeal})" in pending.text
    assert _decide(api, "province", appeal, decision).status_code == 200
    before = _final(api, fid)
    late = api.post("supervisor", url, json={"decision": review, "seen_status": seen})
    assert late.status_code == 409, late.text
    detail = late.json()["detail"]
    assert f"appeal {appeal} decided this finding" in detail and "by pat at" in detail
    assert api.get("admin", f"/api/v1/findings/{fid}").json()["status"] == seen
    assert _final(api, fid) == before


def test_a_decided_appeal_is_final(api):
    appeal = _appeal(api, api.finding(api.own, "confirmed"))
    assert _decide(api, "province", appeal, "uphold").status_code == 200
    for who, decision in (("province", "grant"), ("admin", "grant"), ("province", "uphold")):
        again = _decide(api, who, appeal, decision)
        assert again.status_code == 409
        detail = again.json()["detail"]
        assert f"appeal {appeal} is final: upheld by pat at " in detail and "UTC" in detail
    with api.db.session() as s:
        assert s.get(m.Appeal, appeal).status == "upheld"


def test_an_admin_reopens_a_decided_appeal_on_the_record(api):
    fid = api.finding(api.own, "confirmed")
    deducted = _final(api, fid)
    appeal = _appeal(api, fid)
    url = f"/api/v1/appeals/{appeal}/reopen"
    early = api.post("admin", url, json={"reason": "new evidence"})
    assert early.status_code == 409 and "no decision to reopen" in early.text
    assert _decide(api, "province", appeal, "grant").status_code == 200
    assert _final(api, fid) > deducted
    assert api.post("province", url, json={"reason": "x"}).status_code == 403
    assert api.post("admin", url, json={"reason": "  "}).status_code == 422
    assert api.post("admin", url, json={}).status_code == 422

    reopened = api.post("admin", url, json={"reason": "the clip shows another day"})
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert (body["status"], body["decided_by"], body["decided_at"]) == ("pending", None, None)
    assert api.get("admin", f"/api/v1/findings/{fid}").json()["status"] == "confirmed"
    assert _final(api, fid) == deducted  # rescored: the deduction is back
    with api.db.session() as s:
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "appeal_reopen")).one()
        assert (entry.actor, entry.finding_id) == ("ada", fid)
        assert entry.detail["reason"] == "the clip shows another day"
        assert entry.detail["undone"]["status"] == "granted"
        assert entry.detail["undone"]["decided_by"] == "pat"
    blocked = api.post(
        "supervisor", f"/api/v1/findings/{fid}/review",
        json={"decision": "dismiss", "seen_status": "confirmed"},
    )  # fmt: skip
    assert blocked.status_code == 409  # still the appeal's to decide

    assert _decide(api, "province", appeal, "uphold").status_code == 200
    assert _final(api, fid) == deducted
    assert _decide(api, "province", appeal, "grant").status_code == 409  # final again
