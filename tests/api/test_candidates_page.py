"""The candidates page in a real headless Chromium: drag a new box over the crop, confirm
with C, and the box stored is the one drawn (in the image's pixels)."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.browser import ARGS, CHROMIUM, serving, token
from tests.support.run_site import BRANCH

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium"
    ),
]


def _copy_of_night(phone_night, tmp_path) -> tuple[str, Path]:
    """The phone night's database copied for one test (its decisions stay its own), and
    the night's evidence folder."""
    url, evidence, _ = phone_night
    db_file = tmp_path / "copy.db"
    shutil.copy(url.removeprefix("sqlite:///"), db_file)
    return f"sqlite:///{db_file}", evidence


@contextmanager
def _served_to_a_supervisor(db: str, evidence: Path, tmp_path: Path):
    secret = token(db, "supervisor", "sam", "--region", "test")
    with serving(db, evidence, tmp_path / "serve.log") as base:
        yield base, secret


@pytest.fixture
def server(phone_night, tmp_path):
    db, evidence = _copy_of_night(phone_night, tmp_path)
    with _served_to_a_supervisor(db, evidence, tmp_path) as served:
        yield served


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


OTHER = "RUN-POST-2"  # a second branch of the region, with one candidate of its own


@pytest.fixture
def two_branches(phone_night, tmp_path):
    """The night's candidates at BRANCH, and one more at OTHER (a copy of the first)."""
    db, evidence = _copy_of_night(phone_night, tmp_path)
    store = Database(db)
    with store.session() as s:
        s.add(m.Branch(id=OTHER, name="second", region="test", timezone="Asia/Shanghai",
                       updated_at=datetime.now(UTC)))  # fmt: skip
        first = s.scalars(
            select(m.PhoneCandidate).where(m.PhoneCandidate.kind == "candidate")
        ).first()
        copied = {c.key: getattr(first, c.key) for c in m.PhoneCandidate.__table__.columns}
        s.add(m.PhoneCandidate(**{**copied, "id": None, "branch_id": OTHER}))
    store.dispose()
    with _served_to_a_supervisor(db, evidence, tmp_path) as served:
        yield served


def test_candidates_by_the_keys_with_zoom_and_the_branch_filter_held(two_branches, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, secret = two_branches
    auth = {"Authorization": f"Bearer {secret}"}

    def pending(branch: str) -> list[int]:
        url = f"{base}/api/v1/candidates?status=pending&per_page=200&branch={branch}"
        return [c["id"] for c in httpx.get(url, headers=auth).json()["items"]]

    mine = pending(BRANCH)
    assert len(mine) >= 3 and len(pending(OTHER)) == 1
    for cid in mine[2:]:  # all but two decided elsewhere: the page starts with two
        httpx.post(f"{base}/api/v1/candidates/{cid}/review", json={"decision": "dismiss"},
                   headers=auth)  # fmt: skip
    first, second = mine[:2]
    current = "() => document.querySelector('#queue-list li.current')?.dataset.id"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{base}/login?next=/candidates?branch={BRANCH}")
        page.fill("#token", secret)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/candidates?branch={BRANCH}")
        page.wait_for_function("() => document.getElementById('crop').naturalWidth > 0")
        assert page.evaluate(current) == str(first)
        page.keyboard.press("j")  # J and K move
        page.wait_for_function(f"() => ({current})() === '{second}'")
        page.keyboard.press("k")
        page.wait_for_function(f"() => ({current})() === '{first}'")
        shown = page.locator("#crop").bounding_box()["width"]
        page.keyboard.press("z")  # zoom: the crop twice as large, its box with it
        page.wait_for_function("() => document.getElementById('zoom-level').textContent === '2×'")
        assert page.locator("#crop").bounding_box()["width"] > 1.5 * shown
        overlay = page.locator("#overlay").bounding_box()
        assert overlay["width"] == pytest.approx(
            page.locator("#crop").bounding_box()["width"], abs=1
        )
        page.screenshot(path=str(tmp_path / "candidate_zoomed.png"))
        page.keyboard.press("s")  # skip: still pending, the next one shown
        page.wait_for_function(f"() => ({current})() === '{second}'")
        assert first in pending(BRANCH)
        page.keyboard.press("d")
        page.wait_for_function(
            f"() => document.getElementById('message').textContent.includes('#{second}')"
        )
        assert second not in pending(BRANCH)
        page.keyboard.press("u")  # undo: pending again, and on screen
        page.wait_for_function(
            "() => document.getElementById('message').textContent.includes('已撤销 Undone')"
        )
        page.wait_for_function(f"() => ({current})() === '{second}'")
        assert second in pending(BRANCH)
        for _ in range(2):  # both decided: the branch's queue is empty
            shown_id = page.evaluate(current)
            page.keyboard.press("d")
            page.wait_for_function(
                f"() => document.getElementById('last-message').textContent.includes('#{shown_id}')"
            )
        page.wait_for_selector("#empty", state="visible")
        page.wait_for_function(
            "() => document.getElementById('empty-scope').textContent.includes('1')"
        )
        scope = page.text_content("#empty-scope")
        assert f"All of {BRANCH}'s candidates are labelled" in scope
        assert "1 pending in other branches" in scope
        assert page.locator("#queue-list li").count() == 0  # not the other branch's
        assert pending(OTHER) != []
        browser.close()
