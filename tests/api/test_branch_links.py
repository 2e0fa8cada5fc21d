"""A branch manager's week in a real headless Chromium (issue 25 items 5 and 6): from the
branch page, one click to the week's notice (the copy a supervisor issued, never the
draft) and one to the rectification orders, which list what to fix, by when (overdue
marked) and who gave each on the branch's clock; a supervisor issues the notice from its
draft, and closes or withdraws an order there with a note."""

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
    assert page.locator("a.this-week-notice").count() == 0  # nothing issued: no draft shown
    assert "整改通知尚未发出" in page.text_content(".no-notice")

    # the supervisor issues the week's notice from its draft, one click on the branch page
    boss = site.browser.new_context(viewport=DESKTOP).new_page()
    login(boss, base, site.secret)
    boss.goto(f"{base}/branches/JS-HA-001")
    assert "草稿 draft" in boss.text_content("a.this-week-notice")
    boss.click("a.this-week-notice")
    boss.wait_for_url(f"{base}/notices/JS-HA-001/2026-W45")
    assert "草稿 Draft (not issued)" in boss.text_content("#notice-status")
    boss.click("#issue-notice")
    boss.wait_for_url(f"{base}/notices/JS-HA-001/2026-W45?version=1")
    assert "已发出 Issued" in boss.text_content("#notice-status")

    page.reload()
    assert page.locator("a.orders-link .count").text_content() == "1"  # open orders
    assert "本周整改通知 This week's notice" in page.text_content("a.this-week-notice")
    page.click("a.this-week-notice")
    page.wait_for_url(f"{base}/notices/JS-HA-001/2026-W45")
    status = page.text_content("#notice-status")
    assert "已发出 Issued" in status and "(Asia/Shanghai)" in status and "sam" in status
    assert "淮安清江浦支行" in page.text_content("body") and "草稿" not in page.text_content("body")
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(path=str(SHOTS / "notice_390x844.png"), full_page=True)
    page.go_back()
    assert "整改令 Orders" in page.text_content("a.orders-link")
    page.click("a.orders-link")
    page.wait_for_url(f"{base}/branches/JS-HA-001/orders")
    row = page.locator(f"#order-{order}")
    assert "clear the counter" in row.locator(".note").text_content()
    assert "2026-11-01" in row.locator(".due").text_content()
    assert "逾期 overdue" in row.locator(".due").text_content()
    assert "(Asia/Shanghai)" in row.locator(".given").text_content()
    assert "sam" in row.locator(".given").text_content()
    assert row.locator(".close-form").count() == 0  # a branch reads; a reviewer closes
    assert row.locator(".withdraw-form").count() == 0
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(path=str(SHOTS / "orders_390x844.png"), full_page=True)

    page = site.browser.new_context(viewport=DESKTOP).new_page()
    login(page, base, site.secret)
    page.goto(f"{base}/branches/JS-HA-001/orders")
    row = page.locator(f"#order-{order}")
    row.locator("details.close summary").click()
    row.locator(".close-form textarea").fill("柜面已清理 cleared, checked on 11-05")
    row.locator(".close-form button[type=submit]").click()
    page.wait_for_function(
        "(id) => document.getElementById(id).dataset.status === 'closed'", arg=f"order-{order}"
    )
    assert "已关闭 Closed by sam" in row.locator(".close-form .message").text_content()
    (closed,) = api_get(base, manager, "/api/v1/branches/JS-HA-001/rectifications?status=closed")
    assert closed["id"] == order and closed["close_note"].startswith("柜面已清理")

    # an order given in error is withdrawn with a reason, and shows so
    mistaken = httpx.post(
        f"{base}/api/v1/branches/JS-HA-001/rectifications",
        json={"item": "PHONE_USE", "note": "按错 pressed R by mistake"},
        headers={"Authorization": f"Bearer {site.secret}"},
    ).json()["id"]
    page.goto(f"{base}/branches/JS-HA-001/orders")
    row = page.locator(f"#order-{mistaken}")
    row.locator("details.withdraw summary").click()
    row.locator(".withdraw-form textarea").fill("误按 R 键 given by mistake")
    row.locator(".withdraw-form button[type=submit]").click()
    page.wait_for_function(
        "(id) => document.getElementById(id).dataset.status === 'withdrawn'",
        arg=f"order-{mistaken}",
    )
    assert "已撤回 Withdrawn by sam" in row.locator(".withdraw-form .message").text_content()
    page.reload()
    row = page.locator(f"#order-{mistaken}")
    assert "已撤回 withdrawn" in row.locator(".status").text_content()
    assert "误按 R 键" in row.locator(".withdraw-reason").text_content()
