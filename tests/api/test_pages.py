"""The pages' frame: error pages with the navigation and a way back, the favicon, the
viewport on every page, pending counts linked only for those who may review, and the
findings' zones and durations as the report words them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.support.api import running_api

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _nav(page: str) -> list[str]:
    nav = re.search(r'<nav id="nav">(.*?)</nav>', page, re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1)) if nav else []


def test_only_reviewers_get_the_pending_counts_link(api):
    for who in ("branch", "assessment"):
        page = api.get(who, "/branches").text
        assert "/review?branch=" not in page, who  # the queue would answer 403
        counts = re.findall(r'<td class="num pending-count">([^<]*)</td>', page)
        assert counts and any(int(c) > 0 for c in counts), who  # the count, as text
    supervisor = api.get("supervisor", "/branches").text
    assert f'<a href="/review?branch={api.own}">3</a>' in supervisor


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [("assessment", "/review", 403), ("branch", "/branches/nosuch", 404),
     ("supervisor", "/nowhere", 404)],
)  # fmt: skip
def test_error_pages_keep_the_navigation_and_a_way_back(api, who, url, status):
    came_from = "http://testserver/assessments?policy=B"
    page = api.get(who, url, headers={"Referer": came_from})
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert "/assessments" in _nav(page.text)
    assert 'id="logout"' in page.text and VIEWPORT in page.text
    assert 'href="/assessments?policy=B">← 返回上一页 Back' in page.text
    assert 'href="/">返回首页' in page.text
    # a referer of another site is not offered as the way back
    elsewhere = api.get(who, url, headers={"Referer": "https://evil.example/x"}).text
    assert "evil.example" not in elsewhere


def test_error_page_of_a_visitor_without_login_offers_the_login(api):
    page = api.client.get("/nowhere")
    assert page.status_code == 404 and _nav(page.text) == []
    assert 'href="/login">登录 Log in' in page.text


def test_a_server_error_on_a_page_is_a_page_with_the_navigation(api):
    def boom():
        raise RuntimeError("a bug")

    api.client.app.add_api_route("/boom", boom, include_in_schema=False)
    client = TestClient(api.client.app, raise_server_exceptions=False)
    page = client.get("/boom", headers=api.auth("admin"))
    assert page.status_code == 500 and "服务器错误 Server error" in page.text
    assert "/review" in _nav(page.text) and "a bug" not in page.text
    api.client.app.add_api_route("/api/v1/boom", boom, include_in_schema=False)
    assert client.get("/api/v1/boom", headers=api.auth("admin")).text == "Internal Server Error"


def test_every_page_has_the_viewport_and_the_favicon(api):
    for url in ("/branches", f"/branches/{api.own}", "/appeals", "/assessments", "/docs"):
        page = api.get("admin", url).text
        assert VIEWPORT in page and 'href="/static/favicon.svg"' in page, url
        assert 'class="menu-button"' in page and 'id="logout"' in page, url
    assert VIEWPORT in api.client.get("/login").text
    icon = api.client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_the_branch_page_words_zones_and_durations_as_the_report(api):
    page = api.get("admin", f"/branches/{api.own}").text
    # LOBBY_MANAGER_ABSENT is stored under its purpose: shown by name, not as a code
    assert '<span class="zone">大堂经理岗 lobby manager</span>' in page
    assert '<span class="zone">lobby_manager</span>' not in page
    assert '<span class="duration">12 分 0 秒 (720 s)</span>' in page
    assert re.search(r"\d{2}:\d{2}:\d{2}–\d{2}:\d{2}:\d{2} \(Asia/Shanghai\)", page)


def test_appeal_times_are_on_the_branchs_clock_labelled(api):
    fid = api.finding(api.own, "confirmed")
    assert (
        api.post("branch", f"/api/v1/findings/{fid}/appeal", json={"reason": "在岗"}).status_code
        == 201
    )
    page = api.get("province", "/appeals").text
    assert re.search(r"\(bo, \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(Asia/Shanghai\)\)", page)


def test_refusals_say_why_in_both_languages(api):
    missing = api.get("supervisor", f"/branches/{api.other}")  # another region's branch
    assert missing.status_code == 404
    assert "不在您可查看的范围内" in missing.text and f"no branch {api.other}" in missing.text
    refused = api.get("branch", "/review")
    assert refused.status_code == 403
    assert "您的角色不能查看此页" in refused.text and "may not review" in refused.text
