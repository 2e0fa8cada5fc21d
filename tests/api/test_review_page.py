"""The review page in a real headless Chromium against `branch-audit serve`.

Screenshots go to $BRANCH_AUDIT_SCREENSHOTS when set (to look at the pages), else to
tests/artifacts/review_page/ (gitignored).
"""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import filled_db
from tests.support.browser import (
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


@pytest.fixture
def server(tmp_path):
    """`branch-audit serve` on a free port over a filled database, and a supervisor's token."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    evidence = tmp_path / "evidence"
    filled_db(url, evidence)
    secret = token(url, "supervisor", "sam", "--region", "huaian")
    with serving(url, evidence, tmp_path / "serve.log") as base:
        yield base, secret, url


@pytest.fixture
def page():
    with chromium() as browser:
        yield browser.new_page(viewport={"width": 1360, "height": 900})


@pytest.fixture
def shots():
    folder = artifacts("review_page")
    return lambda page, name: page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_supervisor_reviews_in_the_browser_with_the_keyboard(server, page, shots):
    base, token, _ = server
    page.goto(f"{base}/review")
    assert page.url.startswith(f"{base}/login")
    shots(page, "login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/review")

    # the clip plays: decoded frames and a clock that moves
    page.wait_for_function(
        "() => { const v = document.getElementById('clip'); return v.readyState >= 2 && v.currentTime > 0; }"
    )
    first = page.text_content("#f-item-zh")
    assert first == "柜员离岗 / 窗口空岗"  # the night's first finding in the region
    page.wait_for_function("() => document.getElementById('s-final').textContent === '100'")
    assert page.text_content("#s-provisional") == "96"
    queued = int(page.text_content("#count"))
    shots(page, "review")

    page.keyboard.press("c")
    page.wait_for_function("() => document.getElementById('message').textContent.includes('→')")
    assert "100 → 98" in page.text_content("#message")
    assert int(page.text_content("#count")) == queued - 1
    assert page.text_content("#f-item-zh") == "柜员使用手机（与业务无关）"  # the next one loaded
    page.wait_for_function("() => document.getElementById('s-final').textContent === '98'")
    shots(page, "review_after_confirm")

    # one more key orders the branch to fix what was just confirmed
    assert page.is_visible("#order-fix")
    page.keyboard.press("r")  # the order's form: its due date and note, then sent
    page.wait_for_selector("#order-dialog", state="visible")
    page.click("#order-go")
    page.wait_for_function(
        "() => document.getElementById('message').textContent.includes('整改令')"
    )
    assert "rectification order #1 given: JS-HA-001" in page.text_content("#message")
    (order,) = api_get(base, token, "/api/v1/branches/JS-HA-001/rectifications")
    assert (order["item"], order["status"], order["ordered_by"]) == ("TELLER_ABSENT", "open", "sam")
    assert not page.is_visible("#order-fix")

    page.keyboard.press("n")
    page.keyboard.type("customer's phone, not the teller's")
    page.keyboard.press("Escape")
    page.keyboard.press("d")
    page.wait_for_function(
        "() => document.getElementById('message').textContent.includes('Dismissed')"
    )
    assert int(page.text_content("#count")) == queued - 2

    check = api_get(base, token, "/api/v1/checks?branch=JS-HA-001&from=2026-11-02&to=2026-11-02")[0]
    assert (check["final_score"], check["provisional_score"]) == (98, 98)
    findings = api_get(base, token, "/api/v1/findings?branch=JS-HA-001&date=2026-11-02")["items"]
    assert {f["item"]: f["status"] for f in findings} == {
        "TELLER_ABSENT": "confirmed",
        "PHONE_USE": "dismissed",
    }
    phone = next(f for f in findings if f["item"] == "PHONE_USE")
    review = api_get(base, token, f"/api/v1/findings/{phone['id']}")["reviews"][-1]
    assert review["note"] == "customer's phone, not the teller's" and review["reviewer"] == "sam"

    page.goto(f"{base}/review")  # the filter form: an empty field means "all"
    page.click(".filter-box summary")
    page.select_option("select[name=branch]", "JS-HA-002")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/findings/*?branch=JS-HA-002")
    assert set(page.locator("#queue-list small:not(.meta)").all_text_contents()) == {
        "JS-HA-002 · 11-02 15:30 · 87%"
    }

    page.goto(f"{base}/branches/JS-HA-001")
    assert page.locator("svg.chart polyline.final").count() == 1
    assert page.text_content("tr[data-date='2026-11-02'] .final-score") == "98"
    shots(page, "branch")
    page.goto(f"{base}/assessments")
    page.select_option("select[name=policy]", "B")
    page.click("form.filters button[type=submit]")  # with an empty period
    assert page.locator("table tbody tr").count() == 2  # the region's two branches
    shots(page, "assessments")
    page.goto(f"{base}/appeals")
    shots(page, "appeals")
    page.goto(f"{base}/docs")
    assert page.locator("article.op").count() >= 14
    shots(page, "docs")


def test_branch_appeals_and_the_province_grants_in_the_browser(server, page, shots):
    base, supervisor, url = server
    manager = cli("token", "create", "--role", "branch", "--branch", "JS-HA-001", "--db", url)
    manager = manager.splitlines()[-1]
    province = cli("token", "create", "--role", "province", "--name", "省分行", "--db", url)
    province = province.splitlines()[-1]
    branch_page = page.context.browser.new_page(viewport={"width": 1360, "height": 900})
    login(branch_page, base, manager)
    assert branch_page.url == f"{base}/branches/JS-HA-001"
    # a branch cannot review
    assert branch_page.get_by_role("link", name="复核 Review", exact=True).count() == 0
    row = branch_page.locator("tr", has=branch_page.locator("summary", has_text="Appeal"))
    row.locator("summary").click()
    row.locator("textarea").fill("大堂经理在客户区引导客户 — guiding a customer")
    row.locator("button", has_text="Submit").click()
    branch_page.wait_for_function(
        "() => [...document.querySelectorAll('.appeal-form .message')].some(m => m.textContent.includes('filed'))"
    )
    shots(branch_page, "branch_manager")

    login(page, base, province)
    assert page.url == f"{base}/appeals"  # the province's page is the appeals to decide
    assert "guiding a customer" in page.text_content(".appeal-card blockquote")
    page.wait_for_function("() => document.querySelector('.appeal-card video').readyState >= 1")
    clip = page.locator(".appeal-card video").bounding_box()
    aspect = page.evaluate(
        "() => { const v = document.querySelector('.appeal-card video'); "
        "return v.videoWidth / v.videoHeight; }"
    )
    assert clip["width"] >= 480 and abs(clip["width"] / clip["height"] - aspect) < 0.05
    shots(page, "appeals_pending")
    before = api_get(
        base, supervisor, "/api/v1/checks?branch=JS-HA-001&from=2026-11-03&to=2026-11-03"
    )
    card = page.locator(".appeal-card").first
    # who confirmed the finding and why, and what is at stake, on the branch's clock
    assert "night-supervisor" in card.locator(".confirmed-by").text_content()
    assert "seen on the clip" in card.locator(".confirmed-by").text_content()
    assert "(Asia/Shanghai)" in card.locator(".confirmed-by").text_content()
    assert "(Asia/Shanghai)" in card.locator("blockquote.reason").text_content()
    assert card.locator(".points").text_content().startswith("2 分 points")
    assert card.locator(".yuan").text_content().startswith("400 元 yuan")
    card.locator("button", has_text="Grant").click()  # one click asks; it does not decide
    question = card.locator(".confirm-step .question")
    assert question.is_visible() and "2 point(s) and 400 yuan are lifted" in question.text_content()
    card.locator(".confirm-step .cancel").click()
    assert not question.is_visible()
    unchanged = api_get(
        base, supervisor, "/api/v1/checks?branch=JS-HA-001&from=2026-11-03&to=2026-11-03"
    )
    assert unchanged == before and card.locator(".message").text_content() == ""
    card.locator("button", has_text="Grant").click()
    shots(page, "appeal_confirm_step")
    card.locator(".confirm-step .go").click()
    page.wait_for_function(
        "() => document.querySelector('.appeal-card .message').textContent.includes('Granted')"
    )
    after = api_get(
        base, supervisor, "/api/v1/checks?branch=JS-HA-001&from=2026-11-03&to=2026-11-03"
    )
    assert after[0]["final_score"] == before[0]["final_score"] + 2  # the lobby deduction is gone
    # a second decider is told, in both languages, who decided and who may reopen it
    other = cli("token", "create", "--role", "province", "--name", "pat", "--db", url)
    (appeal,) = api_get(base, other.splitlines()[-1], "/api/v1/appeals?status=granted")
    again = httpx.post(
        f"{base}/api/v1/appeals/{appeal['id']}/decision",
        json={"decision": "uphold", "note": ""},
        headers={"Authorization": f"Bearer {other.splitlines()[-1]}"},
    )
    detail = again.json()["detail"]
    assert again.status_code == 409 and "已由 省分行 裁决（撤销扣分）" in detail
    assert "只有管理员" in detail and "is final: granted by 省分行" in detail
