"""The finding page and the queue in a real headless Chromium against `branch-audit
serve` over the API fixture's database: a finding opened from the branch page with its
history, decisions that stay in view and can be undone and reopened, a concurrent
decision answered in place, and the queue driven by the keyboard alone. Screenshots of
both at 1366×900 and 390×844 go to tests/artifacts/finding_page/ (or
$BRANCH_AUDIT_SCREENSHOTS)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import filled_db
from tests.support.browser import (
    DESKTOP,
    PHONE,
    api_get,
    artifacts,
    chromium,
    login,
    needs_chromium,
    serving,
    token,
)

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The server over a filled database, and the tokens of a supervisor, a colleague of
    the same region, and the manager of JS-HA-001."""
    root = tmp_path_factory.mktemp("finding-page")
    url = f"sqlite:///{root / 'audit.db'}"
    filled_db(url, root / "evidence")
    tokens = {
        "sam": token(url, "supervisor", "sam", "--region", "huaian"),
        "cal": token(url, "supervisor", "cal", "--region", "huaian"),
        "bo": token(url, "branch", "bo", "--branch", "JS-HA-001"),
    }
    with serving(url, root / "evidence", root / "serve.log") as base, chromium() as browser:
        yield base, tokens, browser


@pytest.fixture
def page(site):
    _, _, browser = site
    context = browser.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()


SHOTS = artifacts("finding_page")


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _text(page, selector: str) -> str:
    return page.text_content(selector) or ""


def _wait_text(page, selector: str, part: str) -> None:
    page.wait_for_function(
        "([s, p]) => (document.querySelector(s)?.textContent || '').includes(p)",
        arg=[selector, part],
    )


def _in_view(page, selector: str) -> bool:
    """Wholly inside the window as it is scrolled now."""
    return page.evaluate(
        """(s) => { const r = document.querySelector(s).getBoundingClientRect();
        return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; }""",
        selector,
    )


def _main_overflows(page) -> list[str]:
    """Elements of the page's own content that stick out of the window sideways."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main *')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && e.checkVisibility() && r.right > innerWidth + 1 && !e.closest('.table-wrap');
        }).map(e => e.tagName + '#' + e.id + '.' + e.className)"""
    )


def _check(base, secret, branch, day):
    (row,) = api_get(base, secret, f"/api/v1/checks?branch={branch}&from={day}&to={day}")
    return row["final_score"]


def test_a_branch_manager_opens_a_finding_and_sees_who_confirmed_it(site, page):
    base, tokens, _ = site
    login(page, base, tokens["bo"])
    assert page.url == f"{base}/branches/JS-HA-001"
    row = page.locator("tr", has=page.locator("text=大堂经理"))
    assert "night-supervisor · " in row.locator(".decided").text_content()  # who decided
    row.locator("a", has_text="大堂经理").click()
    page.wait_for_url(f"{base}/findings/*")
    _wait_text(page, "#history", "night-supervisor")
    history = _text(page, "#history")
    assert "确认违规 Confirmed" in history and "seen on the clip" in history
    assert "(Asia/Shanghai)" in history  # on the branch's clock, labelled
    assert _text(page, "#f-time") == "2026-11-03 11:20:00 – 11:35:00 (Asia/Shanghai)"
    assert not page.is_visible("#action-bar")  # a branch reads; it does not review
    assert _text(page, "#f-fine").startswith("400 元 yuan")  # Policy B: 2 points × 200
    _shot(page, "branch_manager_finding_1366x900")


def test_confirm_undo_and_reopen_stay_in_view_and_move_the_score(site, page):
    base, tokens, _ = site
    login(page, base, tokens["sam"])
    page.goto(f"{base}/review?branch=JS-HA-001&date=2026-11-03")
    _wait_text(page, "#f-item-zh", "柜面不整洁")  # the day's one pending finding
    day = "2026-11-03"
    start = _check(base, tokens["sam"], "JS-HA-001", day)
    page.wait_for_function(f"() => document.getElementById('s-final').textContent === '{start:g}'")
    for y in (0, 10_000):  # the bar stays on screen however far the page is scrolled
        page.evaluate(f"window.scrollTo(0, {y})")
        assert _in_view(page, "#confirm") and _in_view(page, "#message")
    page.keyboard.press("c")
    _wait_text(page, "#message", "Confirmed")
    confirmed = _check(base, tokens["sam"], "JS-HA-001", day)
    assert confirmed < start and f"{start:g} → {confirmed:g}" in _text(page, "#last-message")
    assert _in_view(page, "#last-message") and page.is_visible("#undo-last")  # queue empty
    _shot(page, "after_confirm_1366x900")
    page.keyboard.press("u")
    _wait_text(page, "#message", "Undone")
    assert _check(base, tokens["sam"], "JS-HA-001", day) == start
    assert f"{confirmed:g} → {start:g}" in _text(page, "#message")
    assert _text(page, "#f-status") == "待复核 pending" and "撤销 Undone" in _text(page, "#history")
    page.keyboard.press("c")
    _wait_text(page, "#message", "Confirmed")
    fid = page.evaluate("() => location.pathname.split('/').pop()")
    assert fid and _check(base, tokens["sam"], "JS-HA-001", day) == confirmed
    page.goto(f"{base}/findings/{fid}")  # the decided finding's own page: reopen it
    _wait_text(page, "#f-status", "confirmed")
    assert page.is_visible("#reopen") and not page.is_visible("#confirm")
    page.click("#reopen")
    _wait_text(page, "#message", "A note is required")
    page.fill("#note", "the clutter was a customer's bag")
    page.click("#reopen")
    _wait_text(page, "#message", "Reopened")
    assert _check(base, tokens["sam"], "JS-HA-001", day) == start
    _wait_text(page, "#history", "customer's bag")
    assert (
        "重新打开 Reopened" in _text(page, "#history")
        and _text(page, "#f-status") == "待复核 pending"
    )


def test_a_decision_made_elsewhere_first_reloads_the_finding_in_place(site, page):
    base, tokens, _ = site
    login(page, base, tokens["sam"])
    page.goto(f"{base}/review?branch=JS-HA-002")
    _wait_text(page, "#f-item-zh", "柜员离岗")
    fid = page.evaluate("() => location.pathname.split('/').pop()")
    other = httpx.post(
        f"{base}/api/v1/findings/{fid}/review",
        json={"decision": "dismiss", "note": "recorder fault"},
        headers={"Authorization": f"Bearer {tokens['cal']}"},
    )
    assert other.status_code == 200
    page.keyboard.press("c")
    _wait_text(page, "#message", "Someone decided this finding first")
    message = _text(page, "#message")
    assert "此发现已被他人处理" in message and "cal" in message and "(Asia/Shanghai)" in message
    assert page.url.startswith(f"{base}/findings/{fid}")  # still this finding, reloaded
    assert _text(page, "#f-status") == "已驳回 dismissed" and "recorder fault" in _text(
        page, "#history"
    )
    assert _in_view(page, "#message")
    assert api_get(base, tokens["sam"], f"/api/v1/findings/{fid}")["status"] == "dismissed"


def test_the_queue_by_the_keyboard_alone(site, page):
    base, tokens, _ = site
    login(page, base, tokens["sam"])
    page.goto(f"{base}/review?branch=JS-HA-001&date=2026-11-02")
    page.wait_for_function("() => document.querySelectorAll('#queue-list li').length === 2")
    page.wait_for_function("() => document.getElementById('clip').readyState >= 2")
    first = _text(page, "#f-item-zh")
    assert _text(page, "#queue-list li.current .zh") == first
    meta = page.locator("#queue-list li .meta").all_text_contents()
    assert meta == ["12 分 0 秒 (720 s) · 2 分 points", "1 分 0 秒 (60 s) · 2 分 points"]
    assert page.locator("#queue-list li img.thumb").count() == 2
    for key, expected in (("j", 1), ("k", 0), ("ArrowDown", 1), ("ArrowUp", 0)):
        page.keyboard.press(key)
        page.wait_for_function(
            "(n) => document.querySelectorAll('#queue-list li')[n].classList.contains('current')",
            arg=expected,
        )
        wanted = page.locator("#queue-list li .zh").nth(expected).text_content()
        _wait_text(page, "#f-item-zh", wanted)
    video = "document.getElementById('clip')"
    page.wait_for_function(f"() => {video}.readyState >= 2")
    scroll = page.evaluate("() => scrollY")
    page.keyboard.press(" ")
    page.wait_for_function(f"() => {video}.paused")
    assert page.evaluate("() => scrollY") == scroll  # Space pauses; it does not scroll
    page.keyboard.press(" ")
    page.wait_for_function(f"() => !{video}.paused")
    page.keyboard.press(" ")
    page.evaluate(f"() => {{ {video}.currentTime = 1.0; }}")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"() => Math.abs({video}.currentTime - 3.0) < 0.05 || {video}.currentTime >= {video}.duration - 0.05"
    )
    page.evaluate(f"() => {{ {video}.currentTime = 1.0; }}")
    page.keyboard.press(".")
    page.wait_for_function(f"() => Math.abs({video}.currentTime - 1.2) < 0.02")
    page.keyboard.press(",")
    page.keyboard.press(",")
    page.wait_for_function(f"() => Math.abs({video}.currentTime - 0.8) < 0.02")
    page.keyboard.press("]")
    page.wait_for_function(f"() => {video}.playbackRate === 1.5")
    page.keyboard.press("[")
    page.keyboard.press("[")
    page.wait_for_function(f"() => {video}.playbackRate === 0.5")
    _wait_text(page, "#clip-rate", "0.5×")  # the caption says the speed
    # Tab reaches the list; Enter opens the focused finding
    page.locator("#queue-list li").nth(1).focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('#queue-list li') !== null")
    page.keyboard.press("Enter")
    wanted = page.locator("#queue-list li .zh").nth(1).text_content()
    _wait_text(page, "#f-item-zh", wanted)
    _shot(page, "queue_1366x900")
    # N writes a note, Esc leaves it, D dismisses with it, and the next one loads
    page.keyboard.press("n")
    page.keyboard.type("a customer's phone")
    page.keyboard.press("Escape")
    page.keyboard.press("d")
    _wait_text(page, "#message", "Dismissed")
    page.wait_for_function("() => document.querySelectorAll('#queue-list li').length === 1")
    assert _text(page, "#count") == "1"
    dismissed = api_get(
        base, tokens["sam"], "/api/v1/findings?branch=JS-HA-001&date=2026-11-02&status=dismissed"
    )
    (row,) = dismissed["items"]
    detail = api_get(base, tokens["sam"], f"/api/v1/findings/{row['id']}")
    assert (detail["reviews"][-1]["note"], detail["reviews"][-1]["reviewer"]) == (
        "a customer's phone",
        "sam",
    )
    page.keyboard.press("u")  # and U takes it back into the queue
    _wait_text(page, "#message", "Undone")
    page.wait_for_function("() => document.querySelectorAll('#queue-list li').length === 2")


def test_bulk_decisions_ask_first_and_make_each_its_own_review(site, page):
    base, tokens, _ = site
    login(page, base, tokens["sam"])
    page.goto(f"{base}/review?item=TELLER_ABSENT")
    page.wait_for_function("() => document.querySelectorAll('#queue-list li').length >= 1")
    rows = api_get(base, tokens["sam"], "/api/v1/findings?item=TELLER_ABSENT&status=pending")[
        "items"
    ]
    page.keyboard.press("x")  # X selects the finding shown
    page.wait_for_function(
        "() => document.querySelectorAll('#queue-list .pick:checked').length === 1"
    )
    page.keyboard.press("x")
    page.wait_for_function(
        "() => document.querySelectorAll('#queue-list .pick:checked').length === 0"
    )
    page.goto(f"{base}/review?branch=JS-HA-001&date=2026-11-02")
    page.wait_for_function("() => document.querySelectorAll('#queue-list li').length === 2")
    page.locator("#queue-list .pick").nth(0).check()
    page.locator("#queue-list .pick").nth(1).check()
    page.click("#bulk-confirm")  # two items: the confirm step says what they move
    page.wait_for_selector("#bulk-dialog", state="visible")
    _wait_text(page, "#bulk-summary", "JS-HA-001")
    assert "确认 2 条发现" in _text(page, "#bulk-summary")
    page.keyboard.press("Escape")  # cancelled: nothing decided
    page.wait_for_selector("#bulk-dialog", state="hidden")
    assert (
        api_get(
            base, tokens["sam"], "/api/v1/findings?branch=JS-HA-001&date=2026-11-02&status=pending"
        )["total"]
        == 2
    )
    page.goto(f"{base}/review?item=TELLER_ABSENT")
    page.wait_for_function("() => document.querySelectorAll('#queue-list li').length >= 1")
    assert rows  # every pending absence of the region, of one zone (post-1)
    for i in range(page.locator("#queue-list .pick").count()):
        page.locator("#queue-list .pick").nth(i).check()
    page.click("#bulk-confirm")
    _wait_text(page, "#bulk-summary", f"确认 {len(rows)} 条发现")
    page.click("#bulk-go")
    _wait_text(page, "#message", "Confirmed")
    for f in rows:
        detail = api_get(base, tokens["sam"], f"/api/v1/findings/{f['id']}")
        assert detail["status"] == "confirmed" and detail["reviews"][-1]["reviewer"] == "sam"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366x900", "390x844"])
def test_the_pages_fit_the_window_with_the_actions_near_the_clip(site, viewport):
    base, tokens, browser = site
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    size = f"{viewport['width']}x{viewport['height']}"
    try:
        login(page, base, tokens["sam"])
        assert page.goto(f"{base}/review?branch=JS-SZ-001").status == 404  # another region's
        page.goto(f"{base}/review")
        page.wait_for_function("() => document.getElementById('clip').readyState >= 1")
        assert _main_overflows(page) == []
        assert _in_view(page, "#confirm") and _in_view(page, "#dismiss")
        ratio = page.evaluate(
            "() => { const v = document.getElementById('clip'); const r = v.getBoundingClientRect(); "
            "return [r.width / r.height, v.videoWidth / v.videoHeight]; }"
        )
        assert abs(ratio[0] - ratio[1]) < 0.05  # the box takes the clip's own aspect
        page.screenshot(path=str(SHOTS / f"queue_{size}.png"))
        fid = page.evaluate("() => location.pathname.split('/').pop()")
        page.goto(f"{base}/findings/{fid}")
        page.wait_for_selector("#timeline svg")
        assert _main_overflows(page) == []
        page.screenshot(path=str(SHOTS / f"finding_{size}.png"), full_page=True)
        page.goto(f"{base}/reviewed")
        page.screenshot(path=str(SHOTS / f"reviewed_{size}.png"), full_page=True)
    finally:
        context.close()
