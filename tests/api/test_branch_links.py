"""A branch manager's week in a real headless Chromium (issue 25 item 5): from the branch
page, one click to the week's notice and one to the rectification orders, which list what
to fix, by when (overdue marked) and who gave each on the branch's clock; a supervisor
closes one there with a note."""

from __future__ import annotations

import httpx

from tests.api.test_review_day import site  # noqa: F401  (the served, filled database)
from tests.support.browser import DESKTOP, PHONE, api_get, artifacts, login, needs_chromium, token

pytestmark = needs_chromium

SHOTS = artifacts("branch_links")


def test_the_notice_and_the_orders_are_one_click_from_the_branch_page(site):  # noqa: F811
    base = site.base
    given = httpx.post(
        f"{base}/api/v1/branches/JS-HA-001/rectifications",
        json={
            "item": "COUNTER_CLUTTER",
            "note": "柜面物品归位 clear the counter",
            "due": "2026-11-01",
        },
        headers={"Authorization": f"Bearer {site.secret}"},
    )
    assert given.status_code == 201, given.text
    order = given.json()["id"]
    manager = token(site.url, "branch", "bo", "--branch", "JS-HA-001")
    page = site.browser.new_context(viewport=PHONE).new_page()
    login(page, base, manager)
    assert page.url == f"{base}/branches/JS-HA-001"
    assert page.locator("a.orders-link .count").text_content() == "1"  # open orders
    page.locator("a.notice-link").first.click()
    page.wait_for_url(f"{base}/notices/JS-HA-001/2026-W45")
    assert "淮安清江浦支行" in page.text_content("body")
    page.screenshot(path=str(SHOTS / "notice_390x844.png"), full_page=True)
    page.go_back()
    page.click("a.orders-link")
    page.wait_for_url(f"{base}/branches/JS-HA-001/orders")
    row = page.locator(f"#order-{order}")
    assert "clear the counter" in row.locator(".note").text_content()
    assert "2026-11-01" in row.locator(".due").text_content()
    assert "逾期 overdue" in row.locator(".due").text_content()
    assert "(Asia/Shanghai)" in row.locator(".given").text_content()
    assert "sam" in row.locator(".given").text_content()
    assert row.locator(".close-form").count() == 0  # a branch reads; a reviewer closes
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(path=str(SHOTS / "orders_390x844.png"), full_page=True)

    page = site.browser.new_context(viewport=DESKTOP).new_page()
    login(page, base, site.secret)
    page.goto(f"{base}/branches/JS-HA-001/orders")
    row = page.locator(f"#order-{order}")
    row.locator("summary").click()
    row.locator("textarea").fill("柜面已清理 cleared, checked on 11-05")
    row.locator("button[type=submit]").click()
    page.wait_for_function(
        "(id) => document.getElementById(id).dataset.status === 'closed'", arg=f"order-{order}"
    )
    assert "已关闭 Closed by sam" in row.locator(".message").text_content()
    (closed,) = api_get(base, manager, "/api/v1/branches/JS-HA-001/rectifications?status=closed")
    assert closed["id"] == order and closed["close_note"].startswith("柜面已清理")
