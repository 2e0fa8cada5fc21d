"""Issue 25 point 9: no dead end and no unlabelled clock. Whoever may not set a decision
back is told who may (by role), once, in both languages, on the branch's clock; every time
on the reviewed list, the appeals and the assessments is on the branch's clock with its
zone named, as the finding's history is."""

from __future__ import annotations

import html
import re

import pytest

from tests.support.api import running_api

#: a time of day and what follows it: a span's end, then the zone it is on
TIME = re.compile(r"\d{2}:\d{2}(?::\d{2})?(?:–\d{2}:\d{2}(?::\d{2})?)?(?P<after>.{0,20})", re.S)
ZONE = re.compile(r"^\s*(\([A-Za-z]+/[A-Za-z_]+\)|UTC\b)")


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _texts(page: str) -> str:
    return html.unescape(re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", page, flags=re.S))


def test_reopen_refused_says_who_may_once_on_the_branch_clock(api):
    fid = api.finding(api.own, "pending", "TELLER_ABSENT")
    body = {"decision": "dismiss", "seen_status": "pending", "note": ""}
    assert api.post("supervisor", f"/api/v1/findings/{fid}/review", json=body).status_code == 200
    refused = api.post("admin", f"/api/v1/findings/{fid}/undo")  # not theirs to undo
    assert refused.status_code == 403
    said = refused.json()["detail"]
    assert said.startswith("只有复核人本人可以撤销：sam 于 ")
    assert "(Asia/Shanghai)" in said and "UTC" not in said and "已已" not in said
    assert "only they may undo it" in said


@pytest.mark.parametrize("who", ["admin", "branch"])
def test_every_time_on_reviewed_appeals_and_assessments_names_its_zone(api, who):
    confirmed = api.finding(api.own, "confirmed")
    assert api.post(
        "branch", f"/api/v1/findings/{confirmed}/appeal", json={"reason": "经批准离岗"}
    ).status_code == 201  # fmt: skip
    appeal = api.get("province", "/api/v1/appeals").json()[0]["id"]
    decided = api.post(
        "province", f"/api/v1/appeals/{appeal}/decision", json={"decision": "uphold", "note": "ok"}
    )
    assert decided.status_code == 200, decided.text
    for url in ("/reviewed", "/appeals", "/assessments?policy=B&period=2026-11"):
        text = _texts(api.get(who, url).text)
        times = list(TIME.finditer(text))
        assert times, url
        for found in times:
            assert ZONE.match(found["after"]), (url, text[found.start() - 30 : found.end()])
