"""The API over a night's findings, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import select

from api.auth import live_token
from cli.main import main
from pipeline.store import models as m
from pipeline.store.db import Database
from rules.periods import check_scores, resolve_period
from rules.policies import load_policy
from tests.support.api import running_api


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _check(api, branch: str, day: str) -> dict:
    (row,) = api.get("admin", f"/api/v1/checks?branch={branch}&from={day}&to={day}").json()
    return row


def _assessment(api, policy: str, branch: str) -> dict:
    report = api.get("admin", f"/api/v1/assessments?policy={policy}").json()
    return next(r for r in report["branches"] if r["branch"] == branch)


def test_branches_checks_and_paginated_findings(api):
    branches = api.get("admin", "/api/v1/branches").json()
    assert {b["region"] for b in branches} == {"huaian", "suzhou"}
    checks = api.get("admin", f"/api/v1/checks?branch={api.own}&from=2026-11-02&to=2026-11-03")
    rows = checks.json()
    assert [r["date"] for r in rows] == ["2026-11-02", "2026-11-03"]
    first = rows[0]
    assert {"branch", "date", "provisional_score", "final_score", "coverage", "findings"} <= set(
        first
    )
    # two pending findings that day: provisional counts them, final does not
    assert first["findings"] == {"TELLER_ABSENT": 1, "PHONE_USE": 1}
    assert (first["provisional_score"], first["final_score"]) == (96, 100)

    everything = api.get("admin", "/api/v1/findings?per_page=3").json()
    assert everything["total"] == 8 and len(everything["items"]) == 3
    page3 = api.get("admin", "/api/v1/findings?per_page=3&page=3").json()
    assert len(page3["items"]) == 2
    seen = {f["id"] for f in everything["items"]} | {f["id"] for f in page3["items"]}
    assert len(seen) == 5  # pages do not overlap
    pending = api.get(
        "admin", f"/api/v1/findings?branch={api.own}&date=2026-11-02&status=pending&item=PHONE_USE"
    ).json()
    (phone,) = pending["items"]
    assert (
        phone["item_zh"] == "柜员使用手机（与业务无关）"
        and phone["item_en"] == "Staff using a phone"
    )
    assert phone["local_time"].startswith("2026-11-02 10:15:00")  # the branch's wall clock
    detail = api.get("admin", f"/api/v1/findings/{phone['id']}").json()
    assert detail["reviews"] == [] and detail["appeals"] == []


def test_clip_honours_byte_ranges_and_keyframe_is_a_jpeg(api):
    fid = api.finding(api.own, "pending")
    whole = api.get("admin", f"/api/v1/findings/{fid}/clip")
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.content[4:8] == b"ftyp"
    assert whole.headers["accept-ranges"] == "bytes"
    part = api.get("admin", f"/api/v1/findings/{fid}/clip", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
    assert part.content == whole.content[100:200]
    key = api.get("admin", f"/api/v1/findings/{fid}/keyframe")
    assert key.headers["content-type"] == "image/jpeg" and key.content[:2] == b"\xff\xd8"


@pytest.mark.parametrize("escape", ["../outside.mp4", "/etc/passwd", "link.mp4", "a/../../x.mp4"])
def test_evidence_paths_never_leave_the_evidence_root(api, escape):
    outside = api.evidence.parent / "outside.mp4"
    outside.write_bytes(b"secret")
    (api.evidence / "link.mp4").symlink_to(outside)
    (api.evidence.parent / "x.mp4").write_bytes(b"secret")
    fid = api.finding(api.own, "pending")
    with api.db.session() as s:
        s.get(m.Finding, fid).clip = escape
    response = api.get("admin", f"/api/v1/findings/{fid}/clip")
    assert response.status_code == 404
    assert b"secret" not in response.content


def test_review_rescores_at_once_and_is_audited(api):
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    response = api.post(
        "supervisor",
        f"/api/v1/findings/{fid}/review",
        json={"decision": "confirm", "note": "empty seat"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["finding"]["status"] == "confirmed"
    assert body["finding"]["reviews"][-1]["reviewer"] == "sam"
    assert body["check"]["final_score"] == 98  # TELLER_ABSENT costs 2
    assert _check(api, api.own, "2026-11-02")["final_score"] == 98
    dismiss = api.finding(api.own, "pending", "PHONE_USE")
    api.post("supervisor", f"/api/v1/findings/{dismiss}/review", json={"decision": "dismiss"})
    after = _check(api, api.own, "2026-11-02")
    assert (after["provisional_score"], after["final_score"]) == (98, 98)
    assert after["findings"] == {"TELLER_ABSENT": 1}  # dismissed findings do not count
    with api.db.session() as s:
        log = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "review")).all()
        assert [(e.actor, e.finding_id, e.detail["decision"]) for e in log] == [
            ("sam", fid, "confirm"),
            ("sam", dismiss, "dismiss"),
        ]
        assert all(e.at is not None for e in log)


def test_a_repeat_within_the_month_doubles_the_final_deduction(api):
    branch = api.own
    day2 = api.finding(branch, "pending", "COUNTER_CLUTTER")  # on 2026-11-03
    with api.db.session() as s:  # make a day-1 finding the same item, earlier in the month
        day1 = s.scalars(
            select(m.Finding).where(m.Finding.branch_id == branch, m.Finding.status == "pending")
        ).first()
        assert day1.date == date(2026, 11, 2)
        day1.item = "COUNTER_CLUTTER"
    before = _check(api, branch, "2026-11-03")["final_score"]
    api.post("admin", f"/api/v1/findings/{day2}/review", json={"decision": "confirm"})
    assert _check(api, branch, "2026-11-03")["final_score"] == before - 1
    api.post("admin", f"/api/v1/findings/{day1.id}/review", json={"decision": "confirm"})
    assert _check(api, branch, "2026-11-03")["final_score"] == before - 2  # now a repeat: 1 × 2


def test_a_second_review_of_the_same_finding_is_a_conflict(api):
    fid = api.finding(api.own, "pending")
    url = f"/api/v1/findings/{fid}/review"
    assert api.post("supervisor", url, json={"decision": "confirm"}).status_code == 200
    late = api.post("admin", url, json={"decision": "dismiss", "seen_status": "pending"})
    assert late.status_code == 409
    assert "confirmed by sam" in late.json()["detail"]
    assert api.get("admin", f"/api/v1/findings/{fid}").json()["status"] == "confirmed"
    # decided: a second review is refused (issue 23 row 2); an admin reopens it, on the
    # record, and then reviews it
    again = api.post("admin", url, json={"decision": "dismiss", "seen_status": "confirmed"})
    assert again.status_code == 409 and "through undo" in again.json()["detail"]
    reopened = api.post("admin", f"/api/v1/findings/{fid}/reopen", json={"note": "second look"})
    assert reopened.status_code == 200
    again = api.post("admin", url, json={"decision": "dismiss", "seen_status": "pending"})
    assert again.status_code == 200 and again.json()["finding"]["status"] == "dismissed"


def test_simultaneous_reviews_one_wins_one_gets_409(api):
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    start = threading.Barrier(2)
    codes: dict[str, int] = {}

    def review(who: str, decision: str) -> None:
        start.wait()
        codes[who] = api.post(
            who, f"/api/v1/findings/{fid}/review", json={"decision": decision}
        ).status_code

    threads = [
        threading.Thread(target=review, args=("supervisor", "confirm")),
        threading.Thread(target=review, args=("admin", "dismiss")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes.values()) == [200, 409]
    winner = next(w for w, c in codes.items() if c == 200)
    status = api.get("admin", f"/api/v1/findings/{fid}").json()["status"]
    assert status == {"supervisor": "confirmed", "admin": "dismissed"}[winner]
    expected = 98 if status == "confirmed" else 100
    assert _check(api, api.own, "2026-11-02")["final_score"] == expected


def _policy_says(api, policy: str) -> dict:
    """The policy engine's own verdict over the scores the API serves."""
    checks = api.get("admin", "/api/v1/checks").json()
    frame = check_scores(
        pd.DataFrame(
            [(c["branch"], c["region"], c["date"], c["final_score"]) for c in checks],
            columns=["branch", "region", "date", "score"],
        )
    )
    chosen = load_policy(policy)
    period = resolve_period(list(frame["date"]), None, chosen.stage_months)
    table, outcomes = chosen.assess(frame, period)
    return {
        b: (float(table.loc[b, "score"]), outcomes[b].yuan, outcomes[b].rule) for b in table.index
    }


def _served(api, policy: str) -> dict:
    report = api.get("admin", f"/api/v1/assessments?policy={policy}").json()
    return {r["branch"]: (r["score"], r["yuan"], r["rule"]) for r in report["branches"]}


def test_review_and_appeal_move_scores_and_yuan_as_the_policies_say(api):
    branch = api.own
    assert _assessment(api, "B", branch)["yuan"] == 500  # meets 98 and is top 2 in region
    for item in ("TELLER_ABSENT", "PHONE_USE", "COUNTER_CLUTTER"):  # 2 + 2 + 1 points
        fid = api.finding(branch, "pending", item)
        api.post("supervisor", f"/api/v1/findings/{fid}/review", json={"decision": "confirm"})
    row = _assessment(api, "B", branch)
    assert row["score"] == 97.67 and row["score_arithmetic"].endswith("293 / 3 = 97.67")
    assert row["yuan"] == 0 and "not assessed" in row["rule"]  # below 98: no reward
    for policy in ("A", "B"):
        assert _served(api, policy) == _policy_says(api, policy)

    phone = api.finding(branch, "confirmed", "PHONE_USE")
    filed = api.post("branch", f"/api/v1/findings/{phone}/appeal", json={"reason": "work call"})
    assert filed.status_code == 201 and filed.json()["status"] == "pending"
    twice = api.post("branch", f"/api/v1/findings/{phone}/appeal", json={"reason": "again"})
    assert twice.status_code == 409
    blocked = api.post(
        "supervisor", f"/api/v1/findings/{phone}/review",
        json={"decision": "dismiss", "seen_status": "confirmed"},
    )  # fmt: skip
    assert blocked.status_code == 409  # the appeal decides it now
    appeal_id = filed.json()["id"]
    decided = api.post(
        "province", f"/api/v1/appeals/{appeal_id}/decision",
        json={"decision": "grant", "note": "customer's call"},
    )  # fmt: skip
    assert decided.status_code == 200
    assert decided.json()["status"] == "granted" and decided.json()["decided_by"] == "pat"
    assert api.get("admin", f"/api/v1/findings/{phone}").json()["status"] == "dismissed"
    assert _check(api, branch, "2026-11-02")["final_score"] == 98
    row = _assessment(api, "B", branch)
    assert (row["score"], row["yuan"]) == (98.33, 500)
    for policy in ("A", "B"):
        assert _served(api, policy) == _policy_says(api, policy)
    redo = api.post("admin", f"/api/v1/appeals/{appeal_id}/decision", json={"decision": "uphold"})
    assert redo.status_code == 409
    with api.db.session() as s:
        actions = [e.action for e in s.scalars(select(m.AuditEntry).order_by(m.AuditEntry.id))]
    assert actions[-5:] == ["review", "review", "review", "appeal", "appeal_decision"]


def test_upheld_appeal_keeps_the_deduction(api):
    fid = api.finding(api.own, "confirmed")
    before = api.get("admin", "/api/v1/checks").json()
    appeal = api.post("branch", f"/api/v1/findings/{fid}/appeal", json={"reason": "was on post"})
    api.post(
        "province", f"/api/v1/appeals/{appeal.json()['id']}/decision", json={"decision": "uphold"}
    )
    assert api.get("admin", f"/api/v1/findings/{fid}").json()["status"] == "confirmed"
    assert api.get("admin", "/api/v1/checks").json() == before


def test_pending_findings_cannot_be_appealed(api):
    fid = api.finding(api.own, "pending")
    response = api.post("branch", f"/api/v1/findings/{fid}/appeal", json={"reason": "no"})
    assert response.status_code == 409 and "only confirmed" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "says"),
    [
        ("get", "/api/v1/checks?from=2026-11-05&to=2026-11-01", None, 422, "after"),
        ("get", "/api/v1/checks?from=not-a-date", None, 422, "date"),
        ("get", "/api/v1/findings?page=0", None, 422, "greater than or equal"),
        ("get", "/api/v1/findings?per_page=100000", None, 422, "less than or equal"),
        ("get", "/api/v1/findings?status=maybe", None, 422, "pending"),
        ("get", "/api/v1/findings?branch=%00", None, 422, "pattern"),
        ("get", "/api/v1/findings/..%2F..%2Fetc", None, 404, ""),
        ("get", "/api/v1/findings/nosuchfinding", None, 404, "no finding"),
        ("get", "/api/v1/assessments?policy=C", None, 422, "'A' or 'B'"),
        ("get", "/api/v1/assessments?policy=B&period=2026-S4", None, 422, "stage"),
        ("get", "/api/v1/assessments?policy=A&period=2026-S9", None, 422, "no stage 9"),
        ("post", "/api/v1/findings/{fid}/review", {"decision": "maybe"}, 422, "confirm"),
        (
            "post",
            "/api/v1/findings/{fid}/review",
            {"decision": "confirm", "note": "a\x00b"},
            422,
            "NUL",
        ),
        ("post", "/api/v1/findings/{fid}/review", {"decision": "confirm", "x": 1}, 422, "Extra"),
        ("post", "/api/v1/findings/{fid}/review", "not json", 422, "JSON"),
        (
            "post",
            "/api/v1/findings/{fid}/review",
            {"decision": "confirm", "note": "n" * 2001},
            422,
            "2000",
        ),
        ("post", "/api/v1/appeals/0/decision", {"decision": "grant"}, 422, "greater than"),
        ("post", "/api/v1/appeals/999/decision", {"decision": "grant"}, 404, "no appeal"),
    ],
)
def test_malformed_input_gets_a_4xx_that_says_why(api, method, url, body, status, says):
    url = url.format(fid=api.finding(api.own, "pending"))
    if method == "get":
        response = api.get("admin", url)
    elif isinstance(body, str):
        headers = {**api.auth("admin"), "Content-Type": "application/json"}
        response = api.client.post(url, content=body, headers=headers)
    else:
        response = api.post("admin", url, json=body)
    assert response.status_code == status
    assert says in response.text


def test_exports_hold_the_same_rows_as_the_json(api):
    served = _served(api, "B")
    csv = api.get("admin", "/api/v1/assessments.csv?policy=B")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    # under the top line, headers "得分 score": the English half is the JSON field
    table = pd.read_csv(io.StringIO(csv.content.decode("utf-8-sig")), skiprows=1)
    table.columns = [c.split()[-1] for c in table.columns]
    assert {r.branch: (r.score, r.yuan, r.rule) for r in table.itertuples()} == served
    xlsx = api.get("admin", "/api/v1/assessments.xlsx?policy=B")
    sheet = pd.read_excel(io.BytesIO(xlsx.content), skiprows=1)
    sheet.columns = [c.split()[-1] for c in sheet.columns]
    assert list(sheet["branch"]) == list(table["branch"])
    assert list(sheet["yuan"]) == list(table["yuan"])


def test_every_route_needs_a_token(api):
    for url in ("/api/v1/branches", "/api/v1/findings", "/api/v1/assessments", "/openapi.json"):
        response = api.client.get(url)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    bad = api.client.get("/api/v1/branches", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    page = api.client.get("/review", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/review"


def test_tokens_are_stored_hashed_and_login_sets_a_strict_httponly_cookie(api):
    token = api.tokens["supervisor"]
    with api.db.session() as s:
        hashes = set(s.scalars(select(m.ApiToken.token_hash)))
    assert token not in hashes and len(next(iter(hashes))) == 64
    own = {"Origin": "http://testserver"}
    wrong = api.client.post("/login", data={"token": "wrong", "next": "/review"}, headers=own)
    assert wrong.status_code == 401 and "Invalid token" in wrong.text
    ok = api.client.post(
        "/login", data={"token": token, "next": "https://evil.example/"}, headers=own,
        follow_redirects=False,
    )  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # no open redirect
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert token.lower() not in cookie  # the cookie holds a session id, not the token
    assert api.client.get("/api/v1/me").json()["name"] == "sam"  # the cookie authenticates
    assert "复核队列" in api.client.get("/review").text
    api.client.post("/logout", headers=own)
    assert api.client.get("/api/v1/me").status_code == 401


def test_token_create_prints_a_working_token_last_and_refuses_bad_scopes(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    args = ["token", "create", "--role", "supervisor", "--region", "huaian", "--name", "sam"]
    assert main([*args, "--allow-unknown", "--db", url]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    db = Database(url)
    with db.session() as s:
        assert live_token(s, token, datetime.now(UTC)).region == "huaian"
    db.dispose()
    assert main(["token", "create", "--role", "supervisor", "--db", url]) == 2
    assert "needs --region" in capsys.readouterr().err
    assert main(["token", "create", "--role", "assessment", "--branch", "B", "--db", url]) == 2
