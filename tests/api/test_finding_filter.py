"""The finding filter, one query model (api/filters.py) for the JSON list, the review queue
and the reviewed list: the same refusals in the same words, an empty form field meaning
all, a sort the query layer honours, a form offering the stored branches, cameras and
zones the caller may see, and a filtered queue that matches nothing saying how many are
pending elsewhere."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime

import pytest

from pipeline.store import models as m
from tests.support.api import running_api

ZONES = (  # branch (own / other), camera, zone, purpose
    ("own", "lobby-1", "lm-desk", "lobby_manager"),
    ("own", "counter-1", "post-1", "teller_post"),
    ("other", "counter-9", "far-post", "teller_post"),
)


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        with api.db.session() as s:  # cameras and zones as a night run stores them
            now = datetime.now(UTC)
            for which, camera, zone, purpose in ZONES:
                branch = getattr(api, which)
                if s.get(m.Camera, (branch, camera)) is None:
                    s.add(m.Camera(branch_id=branch, id=camera))
                s.add(m.Zone(branch_id=branch, camera_id=camera, id=zone, purpose=purpose,
                             updated_at=now))  # fmt: skip
        yield api


def _page_data(text: str) -> dict:
    found = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(html.unescape(found.group(1)))


BAD = {
    "impossible date": {"date": "2026-02-30"},
    "no date": {"from": "yesterday"},
    "branch": {"branch": "no such!"},
    "confidence": {"min_confidence": "2"},
    "sort": {"sort": "sideways"},
    "status": {"status": "maybe"},
    "two at once": {"to": "2026-13-01", "item": "lower"},
}


@pytest.mark.parametrize("query", BAD.values(), ids=BAD.keys())
def test_the_api_and_the_pages_refuse_a_filter_alike(api, query):
    listed = api.get("supervisor", "/api/v1/findings", params=query)
    assert listed.status_code == 422
    problems = {(p["loc"][-1], p["msg"]) for p in listed.json()["detail"]}
    assert {name for name, _ in problems} == set(query)
    for page in ("/review", "/reviewed"):
        shown = api.get("supervisor", page, params=query)
        assert shown.status_code == 422 and "text/html" in shown.headers["content-type"]
        text = html.unescape(shown.text)
        assert "输入有误 Invalid input" in text
        for name, msg in problems:
            assert f"{name}: {msg}" in text, (page, name)
        for value in query.values():
            assert len(value) < 4 or value not in text  # never echoed


def test_an_empty_form_field_means_all_on_the_pages(api):
    every = api.get("supervisor", "/reviewed").text
    empty = api.get(
        "supervisor", "/reviewed?branch=&date=&from=&to=&item=&camera=&zone=&min_confidence=&sort="
    )
    assert empty.status_code == 200
    count = re.search(r'<span class="count">(\d+)</span>', every).group(1)
    assert f'<span class="count">{count}</span>' in empty.text


def _order(api, sort: str | None) -> list[dict]:
    params = {"status": "pending"} | ({"sort": sort} if sort else {})
    got = api.get("admin", "/api/v1/findings", params=params)
    assert got.status_code == 200
    return got.json()["items"]


def test_the_query_layer_sorts_as_asked(api):
    oldest = _order(api, None)
    assert len(oldest) >= 4 and _order(api, "oldest") == oldest
    starts = [f["start"] for f in oldest]
    assert starts == sorted(starts)
    assert [f["id"] for f in _order(api, "newest")] == [f["id"] for f in reversed(oldest)]
    by_branch = _order(api, "branch")
    assert [f["branch"] for f in by_branch] == sorted(f["branch"] for f in oldest)
    points = [f["points"] for f in _order(api, "points")]
    assert points == sorted(points, reverse=True) and len(set(points)) > 1
    # the queue beside a finding is the same list in the same order
    queue = _page_data(api.get("admin", "/review?sort=points").text)["queue"]["items"]
    assert [f["id"] for f in queue] == [f["id"] for f in _order(api, "points")]
    second = api.get(
        "admin",
        "/api/v1/findings",
        params={"status": "pending", "sort": "points", "per_page": 2, "page": 2},
    )
    assert [f["id"] for f in second.json()["items"]] == [
        f["id"] for f in _order(api, "points")[2:4]
    ]


def test_the_form_offers_what_exists_for_the_caller(api):
    page = api.get("supervisor", "/review").text
    zone = re.search(r'<select name="zone">(.*?)</select>', page, re.S).group(1)
    assert '<option value="lm-desk">lm-desk（大堂经理岗 lobby manager）</option>' in zone
    assert '<option value="post-1">post-1（柜员岗位 teller post）</option>' in zone
    assert "far-post" not in zone  # another region's branch: not the supervisor's to see
    camera = re.search(r'<select name="camera">(.*?)</select>', page, re.S).group(1)
    assert '<option value="lobby-1">' in camera and "counter-9" not in camera
    branch = re.search(r'<select name="branch">(.*?)</select>', page, re.S).group(1)
    assert api.own in branch and api.other not in branch
    assert '<input type="date" name="date"' in page and '<select name="sort">' in page
    chosen = api.get("supervisor", "/review?zone=lm-desk&sort=newest").text
    assert '<option value="lm-desk" selected>' in chosen
    assert '<option value="newest" selected>' in chosen
    # each list's own order is sent as nothing, so a plain filter's link stays plain
    assert '<option value="" selected>最早在前 Oldest first</option>' in page
    admin = api.get("admin", "/reviewed").text
    assert '<option value="" selected>最新在前 Newest first</option>' in admin
    assert '<option value="oldest">最早在前 Oldest first</option>' in admin
    assert "far-post（柜员岗位 teller post）" in admin


def test_a_filter_that_matches_nothing_says_how_many_are_pending_elsewhere(api):
    pending = api.get("supervisor", "/api/v1/findings?status=pending").json()["total"]
    assert pending >= 3
    day = api.get("supervisor", f"/review?branch={api.own}&date=2026-11-04")
    assert day.status_code == 200
    assert _page_data(day.text)["queue"]["total"] == 0
    said = html.unescape(day.text)
    assert f"此筛选下无待复核；其他日期/网点还有 {pending} 条" in said
    assert f"No pending findings match; {pending} are pending elsewhere" in said
    assert '<a href="/review" id="clear-filters">' in day.text
    # a filter that matches some: the rest are elsewhere, said once the queue is cleared
    some = api.get("supervisor", f"/review?branch={api.own}&date=2026-11-02").text
    mine = _page_data(some)["queue"]["total"]
    assert 0 < mine < pending and f"还有 {pending - mine} 条" in html.unescape(some)
    # no filter: no "elsewhere"
    assert 'id="elsewhere"' not in api.get("supervisor", "/review").text


def test_the_reviewed_list_names_a_zone_as_the_form_offers_it(api):
    lm = api.finding(api.own, "confirmed", "LOBBY_MANAGER_ABSENT")  # stored key: lobby_manager
    page = api.get("supervisor", "/reviewed?zone=lm-desk").text
    row = re.search(rf'<tr id="finding-{lm}">(.*?)</tr>', page, re.S).group(1)
    assert "lobby-1 / lm-desk（大堂经理岗 lobby manager）" in html.unescape(row)
