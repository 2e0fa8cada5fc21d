"""The weekly notice as a branch receives it (issue 25 point 6) and orders withdrawn (point 5):
appealed findings marked, "what counts double" by name and why (rules/scoring.repeat_marks
through the store, as the scores count it), fine rules Chinese first, issued copies kept
as they were sent and shown to the branch, the live draft only to reviewers; an order
given in error withdrawn with a reason, audited, never counted double. SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select

from pipeline.store import models as m
from pipeline.store.db import MIGRATIONS
from pipeline.store.fines import doubles_on, stakes_of
from pipeline.store.scores import recompute_scores
from rules.checklist import load_checklist
from rules.findings import finding_id
from rules.policies import load_policy
from tests.support.api import TZ, running_api

WEEK = "2026-W45"  # 2026-11-02..08: the fixture's days
NEXT = date(2026, 11, 9)  # the check after it: what "counts double" is judged for


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _draft(api) -> str:
    page = api.get("supervisor", f"/notices/{api.own}/{WEEK}")
    assert page.status_code == 200, page.text
    return page.text


def _doubles(page: str) -> list[str]:
    """The lines of the notice's "what counts double", as text."""
    block = re.search(r'<ul class="doubles">(.*?)</ul>', page, re.S)
    return (
        [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", block[1])]
        if block
        else []
    )


def _row(page: str, fid: str) -> str:
    return re.search(rf'<tr id="finding-{fid}".*?</tr>', page, re.S)[0]


def _issue(api, who="supervisor"):
    return api.post(who, f"/api/v1/branches/{api.own}/notices/{WEEK}")


def _order_since(api, item: str, day: date) -> int:
    """An order of `item` given the evening before `day` (branch time), as if given then."""
    with api.db.session() as s:
        row = m.RectificationOrder(
            branch_id=api.own, item=item, note="须整改 fix it", due=day + timedelta(days=7),
            ordered_by="sam", ordered_at=datetime.combine(day - timedelta(days=1), time(18), ZoneInfo(TZ)),
        )  # fmt: skip
        s.add(row)
        s.flush()
        recompute_scores(s, api.own, day, load_checklist())
        return row.id


def test_an_appealed_finding_carries_its_mark_and_a_decided_one_its_outcome(api):
    fid = api.finding(api.own, "confirmed")
    assert "申诉中" not in _row(_draft(api), fid)
    filed = api.post("branch", f"/api/v1/findings/{fid}/appeal", json={"reason": "当时在办理业务"})
    assert filed.status_code in (200, 201), filed.text
    row = _row(_draft(api), fid)
    assert "申诉中 Under appeal" in row and 'data-appeal="pending"' in row
    decided = api.post(
        "province", f"/api/v1/appeals/{filed.json()['id']}/decision",
        json={"decision": "grant", "note": "授权离岗"},
    )  # fmt: skip
    assert decided.status_code == 200, decided.text
    row = _row(_draft(api), fid)  # still listed, with its outcome, and costs nothing now
    assert "申诉成立，已撤销扣分 Appeal granted" in row and "撤销 lifted" in row
    assert "申诉中" not in row
    assert "罚款合计 Fines this week: 0 元" in _draft(api)


def test_what_counts_double_is_named_with_why_not_coded(api):
    checklist = load_checklist()
    order = _order_since(api, "TELLER_ABSENT", date(2026, 11, 2))
    lines = _doubles(_draft(api))
    teller, lobby = checklist.item("TELLER_ABSENT"), checklist.item("LOBBY_MANAGER_ABSENT")
    by_name = {line.split("：")[0]: line for line in lines}
    assert set(by_name) == {
        f"{teller.name_zh} {teller.name_en}",
        f"{lobby.name_zh} {lobby.name_en}",
    }
    assert f"整改令 #{order} 未关闭" in by_name[f"{teller.name_zh} {teller.name_en}"]
    assert "本月已确认同一问题" in by_name[f"{lobby.name_zh} {lobby.name_en}"]
    assert not any(re.search(r"\b[A-Z]+_[A-Z_]+\b", line) for line in lines)  # no item codes


def test_what_counts_double_is_what_the_scores_will_count(api):
    """doubles_on against a stored finding of every item on the next check day: one answer."""
    checklist, fines = load_checklist(), load_policy("B").fines
    _order_since(api, "COUNTER_CLUTTER", date(2026, 11, 3))
    at = datetime.combine(NEXT, time(10), ZoneInfo(TZ)).astimezone(UTC)
    with api.db.session() as s:
        told = doubles_on(s, api.own, NEXT, checklist, fines)
        rows = []
        for item in checklist.items:
            row = m.Finding(
                id=finding_id(api.own, item.code, "z", at), branch_id=api.own, date=NEXT,
                item=item.code, zone="z", cameras=["c"], start=at, end=at + timedelta(minutes=5),
                duration_s=300, confidence=0.9, support=[], status="confirmed",
                detector_version="t", created_at=at, updated_at=at,
            )  # fmt: skip
            s.add(row)
            rows.append(row)
        s.flush()
        staked = stakes_of(s, rows, checklist, fines)
        assert {r.item for r in rows if staked[r.id].repeat} == set(told)
        assert {"COUNTER_CLUTTER", "LOBBY_MANAGER_ABSENT"} <= set(told)
        s.rollback()


def test_fine_rules_read_chinese_first(api):
    page = _draft(api)
    lobby = load_checklist().item("LOBBY_MANAGER_ABSENT")
    assert f"{lobby.name_zh}：2 分 × 200 元 = 400 元 · LOBBY_MANAGER_ABSENT: 2 point(s)" in page


def test_an_issued_notice_stays_as_sent_and_the_branch_sees_it_not_the_draft(api):
    pending = api.finding(api.own, "pending", "TELLER_ABSENT")
    assert api.get("branch", f"/notices/{api.own}/{WEEK}").status_code == 404  # not issued yet
    assert _issue(api, "branch").status_code == 403  # a branch does not issue its own notice
    assert api.post("supervisor", f"/api/v1/branches/{api.other}/notices/{WEEK}").status_code == 404
    bad = api.post("supervisor", f"/api/v1/branches/{api.own}/notices/2025-W53")  # 52 weeks
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["path", "week"]
    issued = _issue(api)
    assert issued.status_code == 201, issued.text
    first = issued.json()
    assert (first["version"], first["issued_by"]) == (1, "sam")
    assert first["facts"]["fines_total"] == 400 and len(first["facts"]["findings"]) == 1
    with api.db.session() as s:
        stored = s.scalars(select(m.IssuedNotice)).one().html
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "notice_issue")).one()
        assert (entry.actor, entry.detail["week"], entry.detail["version"]) == ("sam", WEEK, 1)

    # a later review changes the live notice, not the issued one
    done = api.post(
        "supervisor", f"/api/v1/findings/{pending}/review", json={"decision": "confirm"}
    )
    assert done.status_code == 200, done.text
    assert f'id="finding-{pending}"' in _draft(api)
    seen = api.get("branch", f"/notices/{api.own}/{WEEK}")
    assert seen.status_code == 200
    assert (
        f'id="finding-{pending}"' not in seen.text
        and "罚款合计 Fines this week: 400 元" in seen.text
    )
    assert "已发出 Issued" in seen.text and "(Asia/Shanghai) · sam · 第 1 版 version 1" in seen.text
    assert "草稿" not in seen.text and "issue-notice" not in seen.text
    assert "script-src" not in seen.headers["content-security-policy"]
    with api.db.session() as s:
        assert s.scalars(select(m.IssuedNotice)).one().html == stored

    # issued again: a new version the branch sees; the first stays readable as it was
    assert _issue(api).json()["version"] == 2
    latest = api.get("branch", f"/notices/{api.own}/{WEEK}").text
    assert f'id="finding-{pending}"' in latest and "第 2 版 version 2（最新 latest）" in latest
    old = api.get("branch", f"/notices/{api.own}/{WEEK}?version=1").text
    assert f'id="finding-{pending}"' not in old and "已被新版本取代 superseded" in old
    assert api.get("branch", f"/notices/{api.own}/{WEEK}?version=3").status_code == 404
    listed = api.get("branch", f"/api/v1/branches/{api.own}/notices/{WEEK}").json()
    assert [v["version"] for v in listed] == [2, 1]
    assert api.get("branch", f"/api/v1/branches/{api.other}/notices/{WEEK}").status_code == 404
    # the reviewer's default is still the live draft, marked so, with the issue button
    draft = api.get("supervisor", f"/notices/{api.own}/{WEEK}")
    assert "草稿 Draft (not issued)" in draft.text and 'id="issue-notice"' in draft.text
    assert "script-src 'self'" in draft.headers["content-security-policy"]


def test_a_withdrawn_order_is_audited_and_never_counted_double(api):
    lobby = api.finding(api.own, "confirmed")  # LOBBY_MANAGER_ABSENT on 11-03
    order = _order_since(api, "LOBBY_MANAGER_ABSENT", date(2026, 11, 3))
    detail = api.get("supervisor", f"/api/v1/findings/{lobby}").json()
    assert f"整改令 #{order} 未关闭" in detail["counts_double"]
    with api.db.session() as s:
        assert s.get(m.CheckScore, (api.own, date(2026, 11, 3))).final == 96  # 2 × 2
    url = f"/api/v1/rectifications/{order}/withdraw"
    assert api.post("branch", url, json={"reason": "x"}).status_code == 403
    assert api.post("supervisor", url, json={"reason": ""}).status_code == 422
    done = api.post("supervisor", url, json={"reason": "按错了键 given by mistake"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["withdrawn_by"]) == ("withdrawn", "sam")
    again = api.post("supervisor", url, json={"reason": "again"})
    assert again.status_code == 409 and "已撤回" in again.json()["detail"]
    closing = api.post("supervisor", f"/api/v1/rectifications/{order}/close", json={"note": "n"})
    assert closing.status_code == 409
    detail = api.get("supervisor", f"/api/v1/findings/{lobby}").json()
    assert detail["counts_double"] == ""  # repeat_marks no longer sees the order
    with api.db.session() as s:
        assert s.get(m.CheckScore, (api.own, date(2026, 11, 3))).final == 98  # rescored
        entry = s.scalars(
            select(m.AuditEntry).where(m.AuditEntry.action == "rectification_withdraw")
        ).one()
        assert (entry.actor, entry.detail["order"], entry.detail["reason"]) == (
            "sam",
            order,
            "按错了键 given by mistake",
        )
    assert not any(f"#{order}" in line for line in _doubles(_draft(api)))
    listed = api.get("branch", f"/api/v1/branches/{api.own}/rectifications?status=withdrawn")
    assert [o["id"] for o in listed.json()] == [order]
    assert api.get("branch", f"/api/v1/branches/{api.own}/rectifications?status=open").json() == []
    page = api.get("branch", f"/branches/{api.own}/orders").text
    assert re.search(rf'id="order-{order}" data-status="withdrawn"', page)
    assert "已撤回 withdrawn" in page and "按错了键 given by mistake" in page


def test_a_dismissal_keeps_its_reason_code_beside_its_note(api):
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    url = f"/api/v1/findings/{fid}/review"
    assert (
        api.post("supervisor", url, json={"decision": "dismiss", "reason_code": "nap"}).status_code
        == 422
    )
    confirm = api.post("supervisor", url, json={"decision": "confirm", "reason_code": "other"})
    assert confirm.status_code == 422  # a reason code goes with a dismissal only
    done = api.post(
        "supervisor", url,
        json={"decision": "dismiss", "reason_code": "authorised_absence", "note": "去金库 vault"},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    (review,) = done.json()["finding"]["reviews"]
    assert (review["reason_code"], review["reason"], review["note"]) == (
        "authorised_absence",
        "授权离岗 authorised absence",
        "去金库 vault",
    )
    with api.db.session() as s:
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.finding_id == fid)).all()[-1]
        assert entry.detail["reason_code"] == "authorised_absence"
    listed = api.get("supervisor", f"/reviewed?branch={api.own}").text
    row = re.search(rf'<tr id="finding-{fid}".*?</tr>', listed, re.S)[0]
    assert "授权离岗 authorised absence" in row and "去金库 vault" in row


def test_migration_0013_goes_down_and_up_again(api):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    _issue(api)
    with api.db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0012")
        gone = inspect(connection)
        assert "issued_notices" not in gone.get_table_names()
        assert "withdrawn_at" not in {c["name"] for c in gone.get_columns("rectification_orders")}
        assert "reason_code" not in {c["name"] for c in gone.get_columns("reviews")}
        command.upgrade(cfg, "head")
        back = inspect(connection)
        assert "issued_notices" in back.get_table_names()
        assert "reason_code" in {c["name"] for c in back.get_columns("reviews")}
    assert _issue(api).json()["version"] == 1  # the table came back empty
