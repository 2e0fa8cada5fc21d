"""Rectification orders through the API: given by supervisors, read by the branch, closed
with a note, audited; while one is open the item's next findings count double."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.scores import recompute_scores
from rules.checklist import load_checklist
from rules.findings import finding_id
from tests.support.api import running_api


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _order(api, who="supervisor", branch=None, **body):
    body = {"item": "TELLER_ABSENT", "note": "柜员离岗须报备 tell the lobby before leaving", **body}
    return api.post(who, f"/api/v1/branches/{branch or api.own}/rectifications", json=body)


def test_a_supervisor_orders_a_fix_the_branch_sees_it_and_it_is_audited(api):
    confirmed = api.finding(api.own, "confirmed")
    with api.db.session() as s:
        item = s.get(m.Finding, confirmed).item
    made = _order(api, item=item, due="2026-12-15", finding_id=confirmed)
    assert made.status_code == 201, made.text
    order = made.json()
    assert (order["status"], order["ordered_by"], order["due"]) == ("open", "sam", "2026-12-15")
    listed = api.get("branch", f"/api/v1/branches/{api.own}/rectifications").json()
    assert [o["id"] for o in listed] == [order["id"]]
    assert (
        api.get("branch", f"/api/v1/branches/{api.own}/rectifications?status=closed").json() == []
    )
    with api.db.session() as s:
        entry = s.scalars(
            select(m.AuditEntry).where(m.AuditEntry.action == "rectification_order")
        ).one()
        assert (entry.actor, entry.finding_id, entry.detail["item"]) == ("sam", confirmed, item)


@pytest.mark.parametrize(
    "who, branch, body, status",
    [
        ("branch", None, {}, 403),  # a branch does not order itself
        ("province", None, {}, 403),  # the level above decides appeals, it does not review
        ("supervisor", "other", {}, 404),  # another region's branch does not exist for them
        ("supervisor", None, {"item": "NOT_AN_ITEM"}, 404),  # not an item of the checklist
        ("supervisor", None, {"note": ""}, 422),
        ("supervisor", None, {"due": "tomorrow"}, 422),
        ("supervisor", None, {"colour": "red"}, 422),
    ],
)
def test_who_may_order_and_what_an_order_needs(api, who, branch, body, status):
    target = api.other if branch == "other" else None
    assert _order(api, who, target, **body).status_code == status


def test_closing_needs_a_note_is_final_and_audited(api):
    order = _order(api).json()
    url = f"/api/v1/rectifications/{order['id']}/close"
    assert api.post("supervisor", url, json={"note": ""}).status_code == 422
    assert api.post("branch", url, json={"note": "done"}).status_code == 403
    closed = api.post("supervisor", url, json={"note": "柜员已培训 trained"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = api.post("supervisor", url, json={"note": "again"})
    assert again.status_code == 409 and "closed by sam" in again.json()["detail"]
    with api.db.session() as s:
        actions = s.scalars(
            select(m.AuditEntry.action)
            .where(m.AuditEntry.action.like("rectification%"))
            .order_by(m.AuditEntry.id)
        ).all()
        assert actions == ["rectification_order", "rectification_close"]


def test_while_an_order_is_open_the_items_next_finding_counts_double(api):
    """Tomorrow's night finds the teller away once: 2 points, or 4 under an open order."""
    checklist = load_checklist()
    with api.db.session() as s:
        tz = ZoneInfo(s.get(m.Branch, api.own).timezone)
    tomorrow = (datetime.now(tz) + timedelta(days=1)).date()
    start = datetime.combine(tomorrow, datetime.min.time(), tz) + timedelta(hours=10)

    def night() -> float:
        with api.db.session() as s:
            if s.get(m.CheckScore, (api.own, tomorrow)) is None:
                fid = finding_id(api.own, "TELLER_ABSENT", "post-9", start)
                now = datetime.now(UTC)
                s.add(m.Finding(
                    id=fid, branch_id=api.own, date=tomorrow, item="TELLER_ABSENT", zone="post-9",
                    cameras=["counter-1"], start=start, end=start + timedelta(minutes=6),
                    duration_s=360, confidence=1.0, support=[], status="pending",
                    created_at=now, updated_at=now,
                ))  # fmt: skip
                s.add(m.CheckScore(
                    branch_id=api.own, date=tomorrow, provisional=100, final=100, coverage=1.0,
                    findings={}, updated_at=now,
                ))  # fmt: skip
                s.flush()
            recompute_scores(s, api.own, tomorrow, checklist)
            return s.get(m.CheckScore, (api.own, tomorrow)).provisional

    def says() -> str:
        fid = finding_id(api.own, "TELLER_ABSENT", "post-9", start)
        return api.get("supervisor", f"/api/v1/findings/{fid}").json()["counts_double"]

    assert night() == 98
    assert says() == ""
    order = _order(api).json()
    assert night() == 96  # ordered today: from tomorrow on, a repeat
    assert f"rectification order #{order['id']} open: counts double" in says()  # it says so
    api.post("supervisor", f"/api/v1/rectifications/{order['id']}/close", json={"note": "fixed"})
    assert night() == 98  # closed before tomorrow began
    assert says() == ""


def test_confirmed_findings_carry_their_fine_and_assessments_add_them_up(api):
    """Policy B's fines (rules/policy_b.yaml) on the fixture's confirmed findings."""
    confirmed = api.finding(api.own, "confirmed")  # a 2-point lobby-manager absence
    detail = api.get("supervisor", f"/api/v1/findings/{confirmed}").json()
    assert detail["fine_yuan"] == 400
    assert detail["fine_rule"] == "LOBBY_MANAGER_ABSENT: 2 point(s) × 200 yuan = 400 yuan"
    pending = api.get("supervisor", f"/api/v1/findings/{api.finding(api.own, 'pending')}").json()
    assert (pending["fine_yuan"], pending["fine_rule"]) == (None, "")
    listed = api.get("supervisor", f"/api/v1/findings?branch={api.own}&status=confirmed").json()
    assert [f["fine_yuan"] for f in listed["items"]] == [400]
    b = api.get("admin", "/api/v1/assessments?policy=B&period=2026-S3").json()
    by = {r["branch"]: r["incident_yuan"] for r in b["branches"]}
    assert by[api.own] == 400 and sum(by.values()) == 3 * 400  # three confirmed in the data
    a = api.get("admin", "/api/v1/assessments?policy=A&period=2026-11").json()
    assert {r["incident_yuan"] for r in a["branches"]} == {0}  # Policy A names no fines
    csv = api.get("admin", "/api/v1/assessments.csv?policy=B&period=2026-S3").text
    assert "罚款(元) incident_yuan" in csv.splitlines()[1]  # under the top line


def test_the_weekly_notice_is_served_to_the_branch_and_its_supervisor(api):
    week = "2026-W45"  # 2026-11-02..08: the fixture's days
    draft = api.get("supervisor", f"/notices/{api.own}/{week}")
    assert draft.status_code == 200 and "草稿 Draft (not issued)" in draft.text
    assert "罚款合计 Fines this week: 400 元" in draft.text
    # the branch sees only what was issued
    assert api.get("branch", f"/notices/{api.own}/{week}").status_code == 404
    assert api.post("supervisor", f"/api/v1/branches/{api.own}/notices/{week}").status_code == 201
    for who in ("branch", "supervisor"):
        page = api.get(who, f"/notices/{api.own}/{week}?version=1")
        assert page.status_code == 200 and "检查整改通知" in page.text
        assert "罚款合计 Fines this week: 400 元" in page.text
        csp = page.headers["content-security-policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp  # a document, no code
    assert api.get("branch", f"/notices/{api.other}/{week}").status_code == 404
    assert api.get("branch", f"/notices/{api.own}/2026-W99").status_code == 422
    assert api.get("assessment", f"/notices/{api.own}/{week}").status_code == 403
