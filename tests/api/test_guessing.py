"""Guessing tokens, on SQLite and PostgreSQL: wrong logins sent at once are counted
atomically (exactly the limit are checked), guessed bearer tokens are counted, limited and
audited like failed logins, and X-Forwarded-For counts only from a configured proxy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import create_app
from api.attempts import FAILURES
from cli.main import main
from pipeline.store import models as m
from tests.support.api import running_api
from tests.support.threads import all_at_once

OWN = {"Origin": "http://testserver"}
AT_ONCE = 30


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _login(client: TestClient, token: str, headers: dict | None = None):
    return client.post(
        "/login", data={"token": token}, headers={**OWN, **(headers or {})},
        follow_redirects=False,
    )  # fmt: skip



def _audited(api, action: str) -> list[m.AuditEntry]:
    with api.db.session() as s:
        return list(s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == action)))


def test_wrong_logins_sent_at_once_are_checked_no_more_than_the_limit(api):
    got = all_at_once([lambda i=i: _login(api.client, f"ba_wrong-{i}") for i in range(AT_ONCE)])
    codes = sorted(r.status_code for r in got)
    assert codes == [401] * FAILURES + [429] * (AT_ONCE - FAILURES)
    assert len(_audited(api, "login_failed")) == FAILURES
    assert [e.detail["tries"] for e in _audited(api, "login_limited")] == [FAILURES + 1]


def test_a_good_login_gives_its_try_back(api):
    for _ in range(3 * FAILURES):
        assert _login(api.client, api.tokens["supervisor"]).status_code == 303
    for i in range(FAILURES):
        assert _login(api.client, f"ba_wrong-{i}").status_code == 401
    assert _login(api.client, api.tokens["supervisor"]).status_code == 429


def test_guessed_bearer_tokens_are_counted_limited_and_audited(api):
    guesses = [{"Authorization": f"Bearer ba_guess-{i}"} for i in range(AT_ONCE)]
    codes = [api.client.get("/api/v1/me", headers=h).status_code for h in guesses]
    assert codes == [401] * FAILURES + [429] * (AT_ONCE - FAILURES)
    blocked = api.get("supervisor", "/api/v1/me")  # a good token from there waits too
    assert blocked.status_code == 429 and 0 < int(blocked.headers["retry-after"]) <= 300
    failed = _audited(api, "token_failed")
    assert len(failed) == FAILURES and {e.actor for e in failed} == {"testclient"}
    assert not any("ba_guess" in str(e.detail) for e in failed)  # the guess is not kept
    assert len(_audited(api, "token_limited")) == 1
    elsewhere = TestClient(api.client.app, client=("203.0.113.9", 50000))
    mine = elsewhere.get("/api/v1/me", headers=api.auth("supervisor"))
    assert mine.status_code == 200 and mine.json()["name"] == "sam"
    with api.db.session() as s:  # the window passes
        s.execute(update(m.AuthFailure).values(window_start=datetime.now(UTC) - timedelta(hours=1)))
    assert api.get("supervisor", "/api/v1/me").status_code == 200


def test_bearer_guesses_sent_at_once_are_counted_atomically(api):
    """Each counted guess gets a count of its own from one statement, so exactly the
    first FAILURES are answered 401 however the threads interleave."""
    calls = [
        lambda i=i: api.client.get("/api/v1/me", headers={"Authorization": f"Bearer ba_g{i}"})
        for i in range(AT_ONCE)
    ]
    codes = sorted(r.status_code for r in all_at_once(calls))
    assert codes == [401] * FAILURES + [429] * (AT_ONCE - FAILURES)
    assert len(_audited(api, "token_failed")) == FAILURES
    with api.db.session() as s:
        (row,) = s.scalars(select(m.AuthFailure)).all()
        assert row.key == "token testclient" and FAILURES < row.count <= AT_ONCE


FORGED = [f"198.51.100.{i}" for i in range(20)]


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_configured(api):
    codes = [
        _login(api.client, f"ba_wrong-{i}", {"X-Forwarded-For": ip}).status_code
        for i, ip in enumerate(FORGED)
    ]
    assert codes == [401] * FAILURES + [429] * (len(FORGED) - FAILURES)
    assert {e.actor for e in _audited(api, "login_failed")} == {"testclient"}


def test_a_configured_proxy_s_forwarded_address_is_the_client(api):
    app = create_app(api.db.url, api.evidence, forwarded_allow_ips="testclient")
    with TestClient(app) as proxy:
        for i in range(FAILURES):
            forwarded = {"X-Forwarded-For": "198.51.100.7"}
            assert _login(proxy, f"ba_wrong-{i}", forwarded).status_code == 401
        assert _login(proxy, "ba_x", {"X-Forwarded-For": "198.51.100.7"}).status_code == 429
        assert _login(proxy, "ba_x", {"X-Forwarded-For": "198.51.100.8"}).status_code == 401
    app.state.settings.db.dispose()
    assert {e.actor for e in _audited(api, "login_failed")} == {"198.51.100.7", "198.51.100.8"}


@pytest.mark.parametrize("given, trusted", [([], None), (["--forwarded-allow-ips", "10.0.0.2"],
                                                          "10.0.0.2")])  # fmt: skip
def test_serve_believes_no_forwarded_header_but_the_configured_proxy_s(
    api, monkeypatch, given, trusted
):
    served = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: served.update(app=app, **kw))
    assert main(["serve", "--db", api.db.url, *given]) == 0
    assert served["proxy_headers"] is False  # uvicorn's default believes 127.0.0.1
    app = served["app"]
    with TestClient(app, client=("10.0.0.2", 1234)) as client:
        for i in range(FAILURES):
            _login(client, f"ba_wrong-{i}", {"X-Forwarded-For": "198.51.100.9"})
    app.state.settings.db.dispose()
    actors = {e.actor for e in _audited(api, "login_failed")}
    assert actors == {trusted and "198.51.100.9" or "10.0.0.2"}
