"""One lookup of the caller per request (api/auth.caller): the body check, the routes'
dependencies and the error pages share it, so a POST is authenticated, and a refused token
counted, once; a revoked token or a closed session still fails everywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api import auth
from api.tokens import revoke_token
from pipeline.store import models as m
from tests.support.api import running_api

OWN = {"Origin": "http://testserver"}


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


@pytest.fixture
def lookups(monkeypatch) -> list[str]:
    """The database lookups of a token or a session, in order."""
    seen: list[str] = []
    token, session = auth.live_token, auth.live_session

    def spy_token(*args):
        seen.append("token")
        return token(*args)

    def spy_session(*args):
        seen.append("session")
        return session(*args)

    monkeypatch.setattr(auth, "live_token", spy_token)
    monkeypatch.setattr(auth, "live_session", spy_session)
    return seen


def _login(api) -> None:
    login = api.client.post(
        "/login", data={"token": api.tokens["supervisor"], "next": "/review"}, headers=OWN,
        follow_redirects=False,
    )  # fmt: skip
    assert login.status_code == 303


def test_a_post_with_a_bearer_token_looks_the_caller_up_once(api, lookups):
    finding = api.finding(api.own, "pending")
    decided = api.post(
        "supervisor", f"/api/v1/findings/{finding}/review",
        json={"decision": "dismiss", "seen_status": "pending", "note": "once"},
    )  # fmt: skip
    assert decided.status_code == 200 and decided.json()["finding"]["status"] == "dismissed"
    assert lookups == ["token"]  # the body check's, kept for the route (it was two)


def test_a_post_with_the_login_cookie_looks_the_session_up_once(api, lookups):
    _login(api)
    lookups.clear()
    finding = api.finding(api.own, "pending")
    decided = api.client.post(
        f"/api/v1/findings/{finding}/review", headers=OWN,
        json={"decision": "confirm", "seen_status": "pending", "note": ""},
    )  # fmt: skip
    assert decided.status_code == 200
    assert lookups == ["session"]


def test_an_error_page_asks_the_same_lookup(api, lookups):
    _login(api)
    lookups.clear()
    page = api.client.get("/findings/no-such-finding")
    assert page.status_code == 404 and "sam" in page.text  # the navigation knows the caller
    assert lookups == ["session"]


def test_a_refused_token_on_a_post_is_counted_and_audited_once(api, lookups):
    refused = api.client.post(
        f"/api/v1/findings/{api.finding(api.own, 'pending')}/review",
        headers={"Authorization": "Bearer ba_not-a-token"},
        json={"decision": "confirm", "seen_status": "pending", "note": ""},
    )
    assert refused.status_code == 401
    assert lookups == ["token"]
    with api.db.session() as s:
        failed = s.scalar(select(func.count()).where(m.AuditEntry.action == "token_failed"))
        assert failed == 1


def test_a_revoked_token_and_its_sessions_fail_everywhere(api):
    _login(api)
    finding = api.finding(api.own, "pending")
    body = {"decision": "confirm", "seen_status": "pending", "note": ""}
    with api.db.session() as s:
        revoke_token(s, "sam")
    bearer = api.post("supervisor", f"/api/v1/findings/{finding}/review", json=body)
    assert bearer.status_code == 401
    cookie = api.client.post(f"/api/v1/findings/{finding}/review", headers=OWN, json=body)
    assert cookie.status_code == 401
    assert api.get("supervisor", "/api/v1/findings").status_code == 401
    assert api.client.get("/api/v1/findings").status_code == 401
    page = api.client.get("/review", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    missing = api.client.get("/no-such-page")  # an error page: shown logged out
    assert missing.status_code == 404 and "sam" not in missing.text
    with api.db.session() as s:
        assert s.get(m.Finding, finding).status == "pending"  # nothing decided
