"""Browser sessions and token lifetimes: the cookie holds a server-side session id, a
revoked or expired token gets 401 as a bearer token and in every open session, the login
forms are accepted from the site itself only, and failed logins are limited and audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.auth import digest
from api.tokens import revoke_token
from pipeline.store import models as m
from tests.support.api import running_api

OWN = {"Origin": "http://testserver"}


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _login(client: TestClient, token: str, headers: dict = OWN):
    return client.post(
        "/login", data={"token": token, "next": "/review"}, headers=headers, follow_redirects=False
    )


def _session_row(api, cookie: str) -> m.WebSession | None:
    with api.db.session() as s:
        return s.scalars(
            select(m.WebSession).where(m.WebSession.session_hash == digest(cookie))
        ).one_or_none()


def test_the_cookie_holds_a_session_id_stored_as_a_digest(api):
    token = api.tokens["supervisor"]
    response = _login(api.client, token)
    assert response.status_code == 303
    cookie = api.client.cookies["ba_session"]
    assert cookie != token and token not in response.headers["set-cookie"]
    assert "max-age=43200" in response.headers["set-cookie"].lower()
    assert "secure" not in response.headers["set-cookie"].lower()  # plain http
    row = _session_row(api, cookie)
    assert row.expires_at - row.created_at == timedelta(hours=12)
    with api.db.session() as s:
        assert s.get(m.ApiToken, row.token_id).name == "sam"
        assert cookie not in {r.session_hash for r in s.scalars(select(m.WebSession))}
    assert api.client.get("/api/v1/me").json()["name"] == "sam"

    https = TestClient(api.client.app, base_url="https://testserver")
    secure = _login(https, token, {"Origin": "https://testserver"})
    assert secure.status_code == 303 and "secure" in secure.headers["set-cookie"].lower()


@pytest.mark.parametrize("end", ["revoked", "expired"])
def test_a_dead_token_gets_401_as_a_bearer_and_in_its_open_sessions(api, end):
    token = api.tokens["supervisor"]
    assert _login(api.client, token).status_code == 303
    assert api.client.get("/api/v1/me").status_code == 200
    assert api.get("supervisor", "/api/v1/me").status_code == 200
    with api.db.session() as s:
        if end == "revoked":
            revoke_token(s, "sam")
        else:
            s.execute(
                update(m.ApiToken)
                .where(m.ApiToken.name == "sam")
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
    assert api.get("supervisor", "/api/v1/findings").status_code == 401
    assert api.client.get("/api/v1/me").status_code == 401  # the open session, cookie only
    page = api.client.get("/review", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert _login(api.client, token).status_code == 401
    assert api.get("admin", "/api/v1/me").status_code == 200  # other tokens live on


def test_a_session_ends_after_12_hours_and_at_logout(api):
    assert _login(api.client, api.tokens["branch"]).status_code == 303
    first = api.client.cookies["ba_session"]
    with api.db.session() as s:
        s.execute(
            update(m.WebSession)
            .where(m.WebSession.session_hash == digest(first))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert api.client.get("/api/v1/me").status_code == 401

    assert _login(api.client, api.tokens["branch"]).status_code == 303
    second = api.client.cookies["ba_session"]
    assert _session_row(api, first) is None  # swept at the next login
    assert api.client.post("/logout", headers=OWN, follow_redirects=False).status_code == 303
    assert _session_row(api, second) is None
    replay = TestClient(api.client.app, cookies={"ba_session": second})
    assert replay.get("/api/v1/me").status_code == 401  # a copied cookie is worth nothing now


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://evil.example"}, {"Origin": "null"},
     {"Origin": "http://testserver.evil.example"}, {"Referer": "https://evil.example/login"}],
)  # fmt: skip
def test_login_and_logout_forms_only_from_the_site_itself(api, headers):
    refused = _login(api.client, api.tokens["supervisor"], headers)
    assert (
        refused.status_code == 403 and "forms are accepted from http://testserver" in refused.text
    )
    assert "ba_session" not in api.client.cookies
    assert _login(api.client, api.tokens["supervisor"]).status_code == 303
    logout = api.client.post("/logout", headers=headers, follow_redirects=False)
    assert logout.status_code == 403
    assert api.client.get("/api/v1/me").status_code == 200  # still logged in


def test_the_referer_stands_in_for_a_missing_origin(api):
    referer = {"Referer": "http://testserver/login?next=/review"}
    assert _login(api.client, api.tokens["supervisor"], referer).status_code == 303


def test_failed_logins_are_limited_per_client_and_audited(api):
    tried = [f"ba_wrong-guess-{i}" for i in range(5)]
    for guess in tried:
        assert _login(api.client, guess).status_code == 401
    blocked = _login(api.client, api.tokens["supervisor"])  # even the right token, now
    assert blocked.status_code == 429
    wait = int(blocked.headers["retry-after"])
    assert 0 < wait <= 300 and "Too many failed logins" in blocked.text
    assert "ba_session" not in api.client.cookies
    elsewhere = TestClient(api.client.app, client=("203.0.113.9", 50000))
    assert _login(elsewhere, api.tokens["supervisor"]).status_code == 303

    with api.db.session() as s:
        log = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "login_failed")).all()
        assert len(log) == 5 and {e.actor for e in log} == {"testclient"}
        recorded = json.dumps([(e.actor, e.detail) for e in log])
        assert not any(guess in recorded or digest(guess) in recorded for guess in tried)
        limited = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "login_limited"))
        assert [e.detail["tries"] for e in limited] == [6]
        s.execute(  # the counter's window (api/attempts.py)
            update(m.AuthFailure).values(
                window_start=datetime.now(UTC) - timedelta(minutes=5, seconds=1)
            )
        )
    assert _login(api.client, api.tokens["supervisor"]).status_code == 303  # the window passed


def test_last_use_is_written_at_most_once_a_minute(api):
    def last_used():
        with api.db.session() as s:
            return s.scalars(select(m.ApiToken.last_used_at).where(m.ApiToken.name == "pat")).one()

    assert last_used() is None
    api.get("province", "/api/v1/me")
    first = last_used()
    assert first is not None
    api.get("province", "/api/v1/branches")
    assert last_used() == first  # within the minute: no write
    with api.db.session() as s:
        s.execute(
            update(m.ApiToken)
            .where(m.ApiToken.name == "pat")
            .values(last_used_at=first - timedelta(minutes=2))
        )
    api.get("province", "/api/v1/me")
    assert last_used() > first - timedelta(minutes=2)
