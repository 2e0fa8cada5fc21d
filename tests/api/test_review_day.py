"""A supervisor's day in the review queue, in a real headless Chromium against `branch-audit
serve` (issue 25): a dropped connection or a server error never passes silently (a
bilingual message, a retry, keys that still work), a save in flight is shown and takes no
second decision, a held key decides once, and on a phone the next finding comes into view
above a short action bar after each decision. Screenshots go to
tests/artifacts/review_day/ (or $BRANCH_AUDIT_SCREENSHOTS)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.support.api import filled_db
from tests.support.browser import (
    DESKTOP,
    PHONE,
    api_get,
    artifacts,
    chromium,
    cli,
    login,
    needs_chromium,
    serving,
    token,
)

pytestmark = needs_chromium

SHOTS = artifacts("review_day")
DAY = "/review?branch=JS-HA-001&date=2026-11-02"  # two pending findings of one day
SAVE = "**/api/v1/findings/*/review"


@dataclass
class Site:
    base: str
    url: str  # the database's
    secret: str  # a supervisor's token, of the huaian region
    browser: object


@pytest.fixture
def site(tmp_path):
    """A fresh filled database per test (each one decides findings), served."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    filled_db(url, tmp_path / "evidence")
    secret = token(url, "supervisor", "sam", "--region", "huaian")
    with serving(url, tmp_path / "evidence", tmp_path / "serve.log") as base, chromium() as browser:
        yield Site(base, url, secret, browser)


def _page(site, viewport=DESKTOP):
    base, secret, browser = site.base, site.secret, site.browser
    page = browser.new_context(viewport=viewport).new_page()
    login(page, base, secret)
    page.goto(base + DAY)
    page.wait_for_function("() => document.querySelectorAll('#queue-list li').length === 2")
    return page


def _wait_text(page, selector: str, part: str) -> None:
    page.wait_for_function(
        "([s, p]) => (document.querySelector(s)?.textContent || '').includes(p)",
        arg=[selector, part],
    )


def _statuses(site) -> dict[str, str]:
    base, secret = site.base, site.secret
    rows = api_get(base, secret, "/api/v1/findings?branch=JS-HA-001&date=2026-11-02")["items"]
    return {row["item_zh"]: row["status"] for row in rows}


def test_a_dropped_connection_or_a_server_error_leaves_a_retry_and_working_keys(site):
    page = _page(site)
    first = page.text_content("#f-item-zh")
    mode = ["drop"]  # what the network does to the save: one handler, switched in place

    def network(route):
        if mode[0] == "drop":
            route.abort("internetdisconnected")
        elif mode[0] == "fail":
            route.fulfill(status=500, body="Internal Server Error")
        else:
            route.continue_()

    page.route(SAVE, network)
    page.keyboard.press("c")
    _wait_text(page, "#message", "未保存 Not saved")
    message = page.text_content("#message")
    assert "网络连接中断 Connection lost" in message and first in message
    assert page.is_visible("#retry") and "重试 Retry" in page.text_content("#retry")
    assert not page.is_visible("#saving")
    assert page.text_content("#f-item-zh") == first  # still this finding, still pending
    assert set(_statuses(site).values()) == {"pending"}
    page.screenshot(path=str(SHOTS / "connection_lost_1366x900.png"))

    mode[0] = "fail"
    page.keyboard.press("c")  # the key works again after the failure: this time a 500
    _wait_text(page, "#message", "HTTP 500")
    assert "服务器出错 Server error" in page.text_content("#message")
    assert page.is_visible("#retry") and set(_statuses(site).values()) == {"pending"}

    mode[0] = "pass"
    page.click("#retry")
    _wait_text(page, "#message", "已确认 Confirmed")
    assert not page.is_visible("#retry")
    assert _statuses(site)[first] == "confirmed"
    assert list(_statuses(site).values()).count("confirmed") == 1


def test_a_save_in_flight_shows_saving_and_takes_no_second_decision(site):
    page = _page(site)
    first = page.text_content("#f-item-zh")
    held = []
    page.route(SAVE, lambda route: held.append(route))  # held until the test lets it go
    page.keyboard.press("c")
    page.wait_for_selector("#saving", state="visible")
    saving = page.text_content("#saving")
    assert "保存中… Saving" in saving and first in saving
    for _ in range(1200):  # until the request reaches the route (up to 60 s: a busy machine)
        if held:
            break
        page.wait_for_timeout(50)  # Playwright's events, the route's among them, run here
    page.keyboard.press("d")  # pressed while the first decision is on its way: ignored
    page.keyboard.press("c")
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    _wait_text(page, "#message", "已确认 Confirmed")
    page.wait_for_selector("#saving", state="hidden")
    page.wait_for_function("() => document.querySelectorAll('#queue-list li').length === 1")
    statuses = _statuses(site)
    assert statuses[first] == "confirmed" and list(statuses.values()).count("pending") == 1


def test_a_held_key_makes_one_decision(site):
    page = _page(site)
    first = page.text_content("#f-item-zh")
    page.keyboard.down("c")  # the press
    for _ in range(20):  # 1.5 s of the key's auto-repeat: keydown events with repeat set
        page.wait_for_timeout(75)
        page.keyboard.down("c")
    page.keyboard.up("c")
    _wait_text(page, "#message", "已确认 Confirmed")
    page.wait_for_timeout(500)
    statuses = _statuses(site)
    assert statuses[first] == "confirmed"
    assert list(statuses.values()).count("pending") == 1, statuses
    assert page.evaluate("() => document.querySelectorAll('#queue-list li').length") == 1


def _box(page, selector: str) -> dict:
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, height: r.height}; }",
        selector,
    )


def test_on_a_phone_the_finding_comes_first_and_stays_above_the_action_bar(site):
    page = _page(site, PHONE)
    assert not page.evaluate("() => document.getElementById('filter-box').open")
    summary = page.text_content("#filter-box summary")
    assert "网点 JS-HA-001" in summary and "日期 2026-11-02" in summary  # what is filtered
    page.wait_for_function("() => document.getElementById('clip').readyState >= 1")
    for left in (1, 0):  # before the first decision, and after it with the next finding
        head, clip, bar = _box(page, "#f-item-zh"), _box(page, "#clip"), _box(page, "#action-bar")
        assert head["top"] >= 0 and clip["top"] >= 0, (head, clip)
        assert clip["bottom"] <= bar["top"] + 1, (clip, bar)  # the bar covers none of the clip
        assert bar["height"] <= 0.35 * PHONE["height"], bar
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # down to the history
        page.click("#confirm")
        page.wait_for_function(
            "(n) => document.querySelectorAll('#queue-list li').length === n", arg=left
        )
        _wait_text(page, "#message", "已确认 Confirmed")
        if left:
            page.wait_for_function("() => document.getElementById('clip').readyState >= 1")
            page.screenshot(path=str(SHOTS / "phone_after_decision_390x844.png"))
    assert page.is_visible("#empty") and page.is_visible("#undo-last")
    assert _box(page, "#last-message")["top"] >= 0


ZONE_MARKS = ("Asia/Shanghai", "网点时间")  # the branch's clock, never UTC, on a page
UNLABELLED = """(marks) => [...document.querySelectorAll('main *')].filter(e => {
    if (!e.checkVisibility()) return false;
    const own = [...e.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('');
    if (!/\\b\\d{1,2}:\\d{2}\\b/.test(own)) return false;
    // a timeline tick is labelled by its box's heading, a queue entry by the queue's;
    // anything else within its own row, item, cell or paragraph
    const scope = e.closest('.timeline-box, #queue-list')
      ? e.closest('.timeline-box, aside')
      : (e.closest('tr, li, dd, p, blockquote, figcaption') || e.parentElement);
    return !marks.some(m => scope.textContent.includes(m));
  }).map(e => e.tagName + ': ' + e.textContent.trim().slice(0, 80))"""


def test_every_time_on_every_page_carries_its_zone(site):
    base, secret = site.base, site.secret
    httpx.post(  # a decided finding for /reviewed and an order for the orders page
        f"{base}/api/v1/branches/JS-HA-001/rectifications",
        json={"item": "COUNTER_CLUTTER", "note": "clear the counter", "due": "2026-11-09"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    page = _page(site)
    page.keyboard.press("d")
    _wait_text(page, "#message", "已驳回 Dismissed")
    page.wait_for_selector("#timeline svg")
    _wait_text(page, "#timeline-zone", "Asia/Shanghai")
    _wait_text(page, "#queue-zone", "Asia/Shanghai")
    pages = ["/reviewed", "/appeals", "/assessments?policy=B&period=2026-11",
             "/branches/JS-HA-001", "/branches/JS-HA-001/orders"]  # fmt: skip
    assert page.evaluate(UNLABELLED, list(ZONE_MARKS)) == [], page.url
    for path in pages:
        page.goto(base + path)
        assert page.evaluate(UNLABELLED, list(ZONE_MARKS)) == [], path
    assert "(Asia/Shanghai)" in page.text_content("td.given")


def test_a_dismissal_carries_its_reason_code_beside_the_note(site):
    page = _page(site)
    first = page.text_content("#f-item-zh")
    page.select_option("#dismiss-reason", "recorder_fault")
    assert "设备故障 recorder fault" in page.text_content("#dismiss-reason option:checked")
    page.fill("#note", "camera 2 was down")
    page.keyboard.press("Escape")  # out of the note; the keys act again
    page.keyboard.press("d")
    _wait_text(page, "#message", "已驳回 Dismissed")
    assert page.input_value("#dismiss-reason") == ""  # the next finding starts without one
    base, secret = site.base, site.secret
    rows = api_get(base, secret, "/api/v1/findings?branch=JS-HA-001&status=dismissed")["items"]
    (row,) = [r for r in rows if r["item_zh"] == first]
    review = api_get(base, secret, f"/api/v1/findings/{row['id']}")["reviews"][-1]
    assert (review["reason_code"], review["reason"], review["note"]) == (
        "recorder_fault",
        "设备故障 recorder fault",
        "camera 2 was down",
    )
    page.goto(f"{base}/findings/{row['id']}")  # its history says why at a glance
    _wait_text(page, "#history", "设备故障 recorder fault: camera 2 was down")


def test_a_login_ended_mid_note_says_so_and_keeps_the_note(site):
    page = _page(site)
    page.fill("#note", "half-written: the teller was at the back office")
    cli("token", "revoke", "--name", "sam", "--db", site.url)
    page.keyboard.press("Escape")
    page.keyboard.press("d")  # answered 401: to the login, the note kept
    page.wait_for_url("**/login?expired=1&next=*")
    assert "登录已失效" in page.text_content("p.error")
    assert "note you were writing is kept" in page.text_content("p.error")
    sue = token(site.url, "supervisor", "sue", "--region", "huaian")
    page.fill("#token", sue)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}/findings/*")
    _wait_text(page, "#message", "The note you were writing")
    assert page.input_value("#note") == "half-written: the teller was at the back office"
    rows = api_get(site.base, sue, "/api/v1/findings?branch=JS-HA-001&date=2026-11-02")["items"]
    assert {r["status"] for r in rows} == {"pending"}  # nothing was decided meanwhile


def test_a_clip_on_its_way_says_so(site):
    base, secret, browser = site.base, site.secret, site.browser
    page = browser.new_context(viewport=DESKTOP).new_page()
    login(page, base, secret)
    held, released = [], []
    page.route(  # the clip waits until the test lets it through
        "**/api/v1/findings/*/clip",
        lambda route: route.continue_() if released else held.append(route),
    )
    page.goto(base + DAY)
    page.wait_for_selector("#clip-state", state="visible")
    assert "载入中… Loading the clip" in page.text_content("#clip-state")
    while not held:
        page.wait_for_timeout(50)
    released.append(True)
    for route in held:
        route.continue_()
    page.wait_for_selector("#clip-state", state="hidden")
    page.wait_for_function("() => document.getElementById('clip').readyState >= 2")
