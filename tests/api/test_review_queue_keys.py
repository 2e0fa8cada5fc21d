"""The review queue at a day's volume, in a real headless Chromium against `branch-audit
serve` (issue 25 points 5, 8, 10): J ×12 keeps the current finding in view; at 1366×900
the clip, the timeline, the facts and the action bar share one window; B decides the
filtered queue after a confirm step that says what it moves, and U takes the whole batch
back; R asks for the order's due date and note, naming the finding it acts on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.scores import recompute_scores
from rules.checklist import load_checklist
from rules.findings import finding_id
from tests.support.api import DAYS, TZ, filled_db
from tests.support.browser import (
    DESKTOP,
    api_get,
    artifacts,
    chromium,
    login,
    needs_chromium,
    serving,
    token,
)

pytestmark = needs_chromium

SHOTS = artifacts("review_queue")
BUSY = ("JS-HA-002", DAYS[2])  # the day the fixture below fills with pending findings
EXTRA = 16
ITEMS = ("TELLER_ABSENT", "PHONE_USE", "COUNTER_CLUTTER")
BUSY_DAY = f"/review?branch={BUSY[0]}&date={BUSY[1]}"


def _busy_day(url: str) -> None:
    """EXTRA pending findings on one branch-day, with the fixture's evidence files."""
    db = Database(url)
    now = datetime.now(UTC)
    with db.session() as s:
        model = s.scalars(select(m.Finding).where(m.Finding.clip.is_not(None))).first()
        for i in range(EXTRA):
            local = datetime(2026, 11, 4, 9, 0, tzinfo=ZoneInfo(TZ)) + timedelta(minutes=20 * i)
            item = ITEMS[i % len(ITEMS)]
            zone = "desk-1" if item == "COUNTER_CLUTTER" else "post-1"
            start = local.astimezone(UTC)
            s.add(
                m.Finding(
                    id=finding_id(BUSY[0], item, zone, start), branch_id=BUSY[0], date=BUSY[1],
                    item=item, zone=zone, cameras=["counter-1"], start=start,
                    end=start + timedelta(minutes=5), duration_s=300.0, confidence=0.9,
                    support=[], status="pending", detector_version="fixture", clip=model.clip,
                    keyframe=model.keyframe, created_at=now, updated_at=now,
                )
            )  # fmt: skip
        s.flush()
        recompute_scores(s, BUSY[0], BUSY[1], load_checklist())
    db.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("review-queue")
    url = f"sqlite:///{root / 'audit.db'}"
    filled_db(url, root / "evidence")
    _busy_day(url)
    secret = token(url, "supervisor", "sam", "--region", "huaian")
    with serving(url, root / "evidence", root / "serve.log") as base, chromium() as browser:
        yield base, secret, browser


@pytest.fixture
def page(site):
    base, secret, browser = site
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    login(page, base, secret)
    yield page
    context.close()


def _wait_text(page, selector: str, part: str) -> None:
    page.wait_for_function(
        "([s, p]) => (document.querySelector(s)?.textContent || '').includes(p)",
        arg=[selector, part],
    )


def _rect(page, selector: str) -> dict:
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }",
        selector,
    )


def _pending(base: str, secret: str) -> list[dict]:
    path = f"/api/v1/findings?branch={BUSY[0]}&date={BUSY[1]}&status=pending&per_page=200"
    return api_get(base, secret, path)["items"]


def _final(base: str, secret: str) -> float:
    (row,) = api_get(base, secret, f"/api/v1/checks?branch={BUSY[0]}&from={BUSY[1]}&to={BUSY[1]}")
    return row["final_score"]


def test_j_twelve_times_keeps_the_current_finding_in_view(site, page):
    base, _, _ = site
    page.goto(base + BUSY_DAY)
    page.wait_for_function(f"() => document.querySelectorAll('#queue-list li').length === {EXTRA}")
    for n in range(1, 13):
        page.keyboard.press("j")
        page.wait_for_function(
            "(n) => document.querySelectorAll('#queue-list li')[n].classList.contains('current')",
            arg=n,
        )
        current, queue = _rect(page, "#queue-list li.current"), _rect(page, "aside.queue")
        assert queue["top"] - 1 <= current["top"] and current["bottom"] <= queue["bottom"] + 1, n
        assert current["top"] >= 0 and current["bottom"] <= DESKTOP["height"], n
    page.screenshot(path=str(SHOTS / "after_j_x12_1366x900.png"))


def test_at_1366x900_clip_timeline_facts_and_actions_fit_one_window(site, page):
    base, _, _ = site
    page.goto(base + BUSY_DAY)
    page.wait_for_selector("#timeline svg")
    page.wait_for_function("() => document.getElementById('clip').readyState >= 1")
    assert page.evaluate("() => scrollY") == 0
    bar = _rect(page, "#action-bar")
    for part in ("#clip", "#timeline", ".facts", ".score-box"):
        box = _rect(page, part)
        assert box["top"] >= 0 and box["bottom"] <= bar["top"] + 1, (part, box, bar)
    assert bar["bottom"] <= DESKTOP["height"] + 1 and _rect(page, "#confirm")["top"] > bar["top"]
    page.screenshot(path=str(SHOTS / "finding_1366x900.png"))


def test_b_confirms_the_filtered_queue_after_a_summary_and_u_takes_it_back(site, page):
    base, secret, _ = site
    page.goto(base + BUSY_DAY)
    page.wait_for_function(f"() => document.querySelectorAll('#queue-list li').length === {EXTRA}")
    start = _final(base, secret)
    ids = [f["id"] for f in _pending(base, secret)]
    page.keyboard.press("b")
    page.wait_for_selector("#bulk-dialog", state="visible")
    _wait_text(page, "#bulk-summary", BUSY[0])
    summary = page.text_content("#bulk-summary")
    assert f"确认 {EXTRA} 条发现" in summary and f"Confirming {EXTRA} finding(s)" in summary
    page.keyboard.press("c")  # the page's keys wait while the dialog is open
    page.wait_for_timeout(300)
    assert len(_pending(base, secret)) == EXTRA
    page.screenshot(path=str(SHOTS / "bulk_confirm_step_1366x900.png"))
    page.click("#bulk-go")
    _wait_text(page, "#last-message", "已批量确认 Confirmed")
    assert _pending(base, secret) == []
    after = _final(base, secret)
    assert after < start and f"−{start - after:g}" in summary  # the summary said what moved
    assert page.is_visible("#undo-last") and f"{EXTRA}" in page.text_content("#undo-last")
    page.keyboard.press("u")
    _wait_text(page, "#message", f"已撤销 Undone {EXTRA}/{EXTRA}")
    assert sorted(f["id"] for f in _pending(base, secret)) == sorted(ids)
    assert _final(base, secret) == start


def test_r_asks_for_the_due_date_and_note_of_the_order_it_names(site, page):
    base, secret, _ = site
    page.goto(f"{base}/review?branch=JS-HA-001&date=2026-11-03")
    _wait_text(page, "#f-item-zh", "柜面不整洁")
    fid = page.evaluate("() => location.pathname.split('/').pop()")
    page.keyboard.press("c")
    _wait_text(page, "#last-message", "已确认 Confirmed")
    assert "柜面不整洁" in page.text_content("#order-fix-last")  # it names what it acts on
    page.keyboard.press("r")
    page.wait_for_selector("#order-dialog", state="visible")
    assert fid in page.text_content("#order-what") and "JS-HA-001" in page.text_content(
        "#order-what"
    )
    today = datetime.now(ZoneInfo(TZ)).date()
    assert page.input_value("#order-due") == str(today + timedelta(days=7))  # a week by default
    assert "柜面不整洁" in page.input_value("#order-note")
    due = str(today + timedelta(days=10))
    page.fill("#order-due", due)
    page.fill("#order-note", "清理柜面，周五前拍照回复 · clear the counter, photo by Friday")
    page.screenshot(path=str(SHOTS / "order_form_1366x900.png"))
    page.click("#order-go")
    _wait_text(page, "#last-message", "整改令")
    (order,) = api_get(base, secret, "/api/v1/branches/JS-HA-001/rectifications")
    assert (order["due"], order["finding_id"]) == (due, fid)
    assert order["note"] == "清理柜面，周五前拍照回复 · clear the counter, photo by Friday"
