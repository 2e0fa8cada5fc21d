"""Every change made with the browser's session cookie comes from this site's own pages:
a page on another port of the same host (same site, so SameSite=Strict sends the cookie),
another host, `null` or no origin at all is refused with 403 and changes nothing; a
bearer token, which no other site's page can send, needs no origin."""

from __future__ import annotations

import pytest

from pipeline.store import models as m
from tests.support.api import running_api

OWN = "http://testserver"
FOREIGN = {
    "other port": {"Origin": "http://testserver:8081"},
    "other scheme": {"Origin": "https://testserver"},
    "other host": {"Origin": "http://evil.example"},
    "null": {"Origin": "null"},
    "none": {},
    "referer on another port": {"Referer": "http://testserver:8081/attack.html"},
}


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        login = api.client.post(
            "/login", data={"token": api.tokens["supervisor"]}, headers={"Origin": OWN},
            follow_redirects=False,
        )  # fmt: skip
        assert login.status_code == 303 and "ba_session" in api.client.cookies
        yield api


def _status(api, finding: str) -> str:
    with api.db.session() as s:
        return s.get(m.Finding, finding).status


@pytest.mark.parametrize("headers", FOREIGN.values(), ids=FOREIGN.keys())
def test_a_change_with_the_cookie_from_elsewhere_is_refused(api, headers):
    pending = api.finding(api.own, "pending")
    review = api.client.post(
        f"/api/v1/findings/{pending}/review", json={"decision": "confirm"}, headers=headers
    )
    assert review.status_code == 403, review.text
    assert "accepted from http://testserver only" in review.json()["detail"]
    assert _status(api, pending) == "pending"
    # decided from its own page, then a forged undo from elsewhere
    own = api.client.post(
        f"/api/v1/findings/{pending}/review", json={"decision": "confirm"}, headers={"Origin": OWN}
    )
    assert own.status_code == 200
    undo = api.client.post(f"/api/v1/findings/{pending}/undo", headers=headers)
    assert undo.status_code == 403 and _status(api, pending) == "confirmed"
    form = api.client.post(  # a form post, as an auto-submitted page sends it
        f"/api/v1/findings/{pending}/undo", data={"x": "1"}, headers=headers
    )
    assert form.status_code == 403 and _status(api, pending) == "confirmed"


def test_the_same_change_from_the_site_itself_or_with_a_bearer_token_is_made(api):
    pending = api.finding(api.own, "pending")
    referer = {"Referer": f"{OWN}/findings/{pending}"}
    got = api.client.post(
        f"/api/v1/findings/{pending}/review", json={"decision": "dismiss"}, headers=referer
    )
    assert got.status_code == 200 and _status(api, pending) == "dismissed"
    other = api.finding(api.own, "pending")
    bearer = {**api.auth("supervisor"), "Origin": "http://testserver:8081"}
    got = api.client.post(
        f"/api/v1/findings/{other}/review", json={"decision": "dismiss"}, headers=bearer
    )
    assert got.status_code == 200 and _status(api, other) == "dismissed"
