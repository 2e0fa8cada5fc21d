"""The candidates page in a real headless Chromium: drag a new box over the crop, confirm
with C, and the box stored is the one drawn (in the image's pixels)."""

from __future__ import annotations

import shutil

import httpx
import pytest

from tests.support.browser import ARGS, CHROMIUM, serving, token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium"
    ),
]


@pytest.fixture
def server(phone_night, tmp_path):
    url, evidence, _ = phone_night
    db_file = tmp_path / "copy.db"
    shutil.copy(url.removeprefix("sqlite:///"), db_file)
    db = f"sqlite:///{db_file}"
    secret = token(db, "supervisor", "sam", "--region", "test")
    with serving(db, evidence, tmp_path / "serve.log") as base:
        yield base, secret


def test_a_reviewer_drags_a_box_and_confirms(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, token = server
    auth = {"Authorization": f"Bearer {token}"}
    first, second = httpx.get(f"{base}/api/v1/candidates?status=pending", headers=auth).json()[
        "items"
    ][:2]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(f"{base}/login?next=/candidates")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/candidates")
        page.wait_for_function("() => document.getElementById('crop').naturalWidth > 0")
        assert page.is_visible("a[href='/candidates'].active")
        shown = page.locator("#overlay").bounding_box()
        sx, sy = shown["width"] / first["width"], shown["height"] / first["height"]
        # drag on empty image from (2, 3) to (20, 30) image pixels: a new box
        start = (shown["x"] + 2.5 * sx, shown["y"] + 3.5 * sy)
        end = (shown["x"] + 20.5 * sx, shown["y"] + 30.5 * sy)
        page.mouse.move(*start)
        page.mouse.down()
        page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        page.mouse.move(*end)
        page.mouse.up()
        page.screenshot(path=str(tmp_path / "candidates.png"))
        page.keyboard.press("c")
        page.wait_for_function(
            f"() => document.getElementById('last-message').textContent.includes('#{first['id']}')"
        )
        # the next one: drag its box's bottom-right corner 10 px right and down, confirm
        page.wait_for_function("() => document.getElementById('crop').complete")
        shown = page.locator("#overlay").bounding_box()
        sx, sy = shown["width"] / second["width"], shown["height"] / second["height"]
        x1, y1, x2, y2 = second["box"]
        page.mouse.move(shown["x"] + x2 * sx, shown["y"] + y2 * sy)
        page.mouse.down()
        page.mouse.move(shown["x"] + (x2 + 5) * sx, shown["y"] + (y2 + 5) * sy)
        page.mouse.move(shown["x"] + (x2 + 10) * sx, shown["y"] + (y2 + 10) * sy)
        page.mouse.up()
        page.click("#confirm")
        page.wait_for_function(
            f"() => document.getElementById('last-message').textContent.includes('#{second['id']}')"
        )
        browser.close()
    resized = httpx.get(f"{base}/api/v1/candidates/{second['id']}", headers=auth).json()
    assert resized["reviewed_box"] == pytest.approx([x1, y1, x2 + 10, y2 + 10], abs=1.5)
    stored = httpx.get(f"{base}/api/v1/candidates/{first['id']}", headers=auth).json()
    assert stored["status"] == "confirmed" and stored["reviewer"] == "sam"
    x1, y1, x2, y2 = stored["reviewed_box"]
    assert (x1, y1, x2, y2) == pytest.approx((2.5, 3.5, 20.5, 30.5), abs=1.5)


def test_a_dropped_connection_leaves_a_retry_and_a_held_key_decides_once(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, token = server
    auth = {"Authorization": f"Bearer {token}"}
    pending = httpx.get(f"{base}/api/v1/candidates?status=pending", headers=auth).json()
    first = pending["items"][0]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(f"{base}/login?next=/candidates")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/candidates")
        # the first candidate on screen: a key pressed before the queue loads decides nothing
        page.wait_for_function("() => document.getElementById('crop').naturalWidth > 0")
        save = "**/api/v1/candidates/*/review"
        dropped = [True]  # the network drops the save until the test says otherwise
        page.route(
            save,
            lambda route: route.abort("internetdisconnected") if dropped[0] else route.continue_(),
        )
        page.keyboard.press("d")
        page.wait_for_function(
            "() => document.getElementById('message').textContent.includes('未保存 Not saved')"
        )
        assert "网络连接中断 Connection lost" in page.text_content("#message")
        assert page.is_visible("#retry") and not page.is_visible("#saving")
        dropped[0] = False
        page.keyboard.down("d")  # the key works after the failure; held, it decides once
        for _ in range(20):
            page.wait_for_timeout(75)
            page.keyboard.down("d")
        page.keyboard.up("d")
        page.wait_for_function(
            f"() => document.getElementById('message').textContent.includes('#{first['id']}, not a phone')"
        )
        assert not page.is_visible("#retry")
        page.wait_for_timeout(500)
        browser.close()
    after = httpx.get(f"{base}/api/v1/candidates?status=pending", headers=auth).json()
    assert after["total"] == pending["total"] - 1
    stored = httpx.get(f"{base}/api/v1/candidates/{first['id']}", headers=auth).json()
    assert stored["status"] == "dismissed"
