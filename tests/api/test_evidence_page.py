"""The evidence on the finding page in a real headless Chromium against `branch-audit
serve` over the API fixture's database (issue 25 point 11): a clutter finding's clean
reference beside its key frame, labelled; zoom on the key frame (click, wheel, keys, Esc);
the timeline zoomed with the wheel and the keys, with ticks at round times of the
branch's clock and the time before opening drawn as closed; and a moment's clip showing
its stage and share while it is drawn. Screenshots go to tests/artifacts/evidence_page/."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from pipeline.evidence.clips import reference_path
from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.api import TZ, filled_db
from tests.support.browser import (
    DESKTOP,
    PHONE,
    artifacts,
    chromium,
    login,
    needs_chromium,
    serving,
    token,
)

pytestmark = needs_chromium
SHOTS = artifacts("evidence_page")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The server over a filled database whose JS-HA-001 clutter finding has a clean
    reference beside its key frame and whose branch opens at 09:38 (its 09:40 absence's
    timeline starts at 09:28, before the opening); a supervisor's token."""
    root = tmp_path_factory.mktemp("evidence-page")
    url = f"sqlite:///{root / 'audit.db'}"
    evidence = root / "evidence"
    filled_db(url, evidence)
    db = Database(url)
    with db.session() as s:
        s.get(m.Branch, "JS-HA-001").hours = {str(d): ["09:38", "17:00"] for d in range(7)}
        rows = {
            r.item: r.id
            for r in s.scalars(select(m.Finding).where(m.Finding.branch_id == "JS-HA-001"))
        }
        clutter = s.get(m.Finding, rows["COUNTER_CLUTTER"])
        clean = np.full((120, 160, 3), (235, 235, 235), np.uint8)
        cv2.putText(clean, "clean", (30, 70), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (40, 40, 40), 2)
        cv2.imwrite(str(evidence / reference_path(clutter.keyframe)), clean)
    db.dispose()
    secret = token(url, "supervisor", "sam", "--region", "huaian")
    with serving(url, evidence, root / "serve.log") as base, chromium() as browser:
        yield base, secret, browser, rows


@pytest.fixture
def page(site):
    base, secret, browser, _ = site
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    login(page, base, secret)
    yield page
    context.close()


def _open(page, site, item: str) -> None:
    base, _, _, rows = site
    page.goto(f"{base}/findings/{rows[item]}")
    page.wait_for_function("() => document.getElementById('keyframe').naturalWidth > 0")


def _zoom(page, box: str) -> float:
    return float(page.get_attribute(f"#{box}", "data-zoom") or 1)


def test_the_clean_reference_lies_beside_the_key_frame_and_zooms_with_it(page, site):
    _open(page, site, "COUNTER_CLUTTER")
    page.wait_for_function("() => document.getElementById('reference').naturalWidth > 0")
    assert page.is_visible("#reference") and page.is_visible("#keyframe")
    assert "参考（整洁）Reference (clean)" in page.text_content("#reference-still")
    assert "关键帧 Key frame" in page.text_content("#keyframe-still")
    ref, key = page.locator("#reference").bounding_box(), page.locator("#keyframe").bounding_box()
    assert ref["x"] + ref["width"] <= key["x"] + 1  # side by side: the reference on the left
    assert abs(ref["y"] - key["y"]) < 2 and abs(ref["height"] - key["height"]) < 2
    page.screenshot(path=str(SHOTS / "reference_1366x900.png"))

    # a click zooms in where it lands; the reference follows to show the same place
    page.click("#keyframe-box")
    assert _zoom(page, "keyframe-box") == 2 and _zoom(page, "reference-box") == 2
    page.keyboard.press("+")  # the key frame has the focus now
    assert _zoom(page, "keyframe-box") == 3
    page.keyboard.press("-")
    assert _zoom(page, "keyframe-box") == 2
    transform = page.eval_on_selector("#keyframe", "(img) => img.style.transform")
    page.keyboard.press("ArrowRight")  # pans, and does not seek the clip
    assert page.eval_on_selector("#keyframe", "(img) => img.style.transform") != transform
    page.screenshot(path=str(SHOTS / "keyframe_zoomed_1366x900.png"))
    page.keyboard.press("Escape")
    assert _zoom(page, "keyframe-box") == 1 and _zoom(page, "reference-box") == 1
    # the wheel zooms about the pointer
    box = page.locator("#keyframe-box").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -120)
    page.wait_for_function("() => +document.getElementById('keyframe-box').dataset.zoom > 1")


def test_other_findings_show_the_key_frame_alone(page, site):
    _open(page, site, "TELLER_ABSENT")
    assert page.is_hidden("#reference-still") and page.is_visible("#keyframe")


def _timeline_shot(page, path: str) -> None:
    """The timeline and what it says, scrolled clear of the sticky action bar."""
    page.evaluate("() => scrollBy(0, document.querySelector('.timeline-box').getBoundingClientRect().top - 80)")
    page.screenshot(path=path)


def _time_at(page, share: float) -> float:
    """POSIX seconds shown at `share` of the timeline's width."""
    got = page.eval_on_selector("#timeline", "(b) => [b.dataset.from, b.dataset.to]")
    a, b = (datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in got)
    return a + share * (b - a)


def _timeline_span_s(page) -> float:
    got = page.eval_on_selector("#timeline", "(b) => [b.dataset.from, b.dataset.to]")
    a, b = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in got)
    return (b - a).total_seconds()


def _ticks(page) -> list[tuple[str, str]]:
    return page.locator("#timeline text.tick").evaluate_all(
        "(ts) => ts.map((t) => [t.textContent, t.dataset.t])"
    )


def _round(ticks, minutes: int) -> bool:
    """Every tick labelled HH:MM at a whole multiple of `minutes` on the branch's clock."""
    for label, iso in ticks:
        local = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(TZ))
        if not re.fullmatch(r"\d\d:\d\d", label) or label != f"{local:%H:%M}":
            return False
        if local.second or local.microsecond or (local.hour * 60 + local.minute) % minutes:
            return False
    return True


def test_the_timeline_zooms_and_its_ticks_fall_on_round_times(page, site):
    _open(page, site, "TELLER_ABSENT")  # 09:40–09:52: its timeline runs 09:28–10:04
    page.wait_for_selector("#timeline svg")
    assert _timeline_span_s(page) == 36 * 60
    ticks = _ticks(page)
    assert len(ticks) >= 3 and _round(ticks, 5)
    # closed before the opening at 09:38, drawn as such, not as unknown
    closed = page.locator("#timeline rect.closed")
    assert closed.count() == 1 and "opens at 09:38" in closed.locator("title").text_content()
    assert "非营业 closed" in page.text_content("#timeline")
    box = page.locator("#timeline").bounding_box()
    unknown_x = page.locator("#timeline rect.unknown").evaluate_all("(rs) => rs.map((r) => +r.getAttribute('x'))")
    closed_end = float(closed.get_attribute("x")) + float(closed.get_attribute("width"))
    assert unknown_x and min(unknown_x) >= closed_end - 1
    _timeline_shot(page, path=str(SHOTS / "timeline_closed_1366x900.png"))
    # the wheel zooms in about the pointer: the time under it stays under it
    box = page.locator("#timeline").bounding_box()
    under = _time_at(page, 0.75)
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + 20)
    for _ in range(4):
        page.mouse.wheel(0, -100)
    page.wait_for_function("() => document.getElementById('timeline').dataset.to !== undefined")
    zoomed = _timeline_span_s(page)
    assert zoomed < 36 * 60 / 4
    assert _time_at(page, 0.75) == pytest.approx(under, abs=2)  # still under the pointer
    ticks = _ticks(page)
    assert len(ticks) >= 3 and _round(ticks, 1)
    _timeline_shot(page, path=str(SHOTS / "timeline_zoomed_1366x900.png"))
    # - zooms out again from the keyboard, 0 shows the whole window
    page.focus("#timeline")
    page.keyboard.press("-")
    assert _timeline_span_s(page) == pytest.approx(zoomed * 1.5, rel=0.01)
    page.keyboard.press("0")
    assert _timeline_span_s(page) == 36 * 60


def test_a_moments_clip_shows_its_stage_and_share_while_drawn(page, site):
    _open(page, site, "TELLER_ABSENT")
    page.wait_for_selector("#timeline svg")
    answers = iter([
        {"state": "queued", "ahead": 1, "stage": "queued", "percent": 0},
        {"state": "drawing", "ahead": 0, "stage": "drawing", "percent": 45},
    ])  # fmt: skip
    held = {"n": 0}

    def progress(route):
        answer = next(answers, None)
        if answer is None:  # then the server's own answer: this fixture has no recordings
            route.continue_()
            return
        held["n"] += 1
        message = f"正在绘制 {answer['percent']}% Drawing, {answer['percent']}%"
        body = {**answer, "poll": route.request.url, "retry_after": 1, "message": message}
        route.fulfill(status=202, content_type="application/json", body=json.dumps(body),
                      headers={"Retry-After": "1"})  # fmt: skip

    page.route(re.compile(r".*/clip\?at=.*"), progress)
    page.evaluate("() => scrollBy(0, document.querySelector('.timeline-box').getBoundingClientRect().top - 80)")
    box = page.locator("#timeline").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 20)  # 09:46: outside the clip
    page.wait_for_function("() => document.getElementById('moment-progress')?.value === 45")
    bar = page.locator("#moment-progress")
    assert bar.is_visible() and bar.get_attribute("data-stage") == "drawing"
    assert "45%" in page.text_content("#timeline-message")
    _timeline_shot(page, path=str(SHOTS / "moment_progress_1366x900.png"))
    # the server's answer in the end: the recordings cannot be reached, said; the bar goes
    page.wait_for_function(
        "() => document.getElementById('timeline-message').textContent.includes('无法调取')"
    )
    assert bar.is_hidden() and held["n"] == 2


def test_the_stills_and_the_timeline_fit_a_phone(site):
    base, secret, browser, rows = site
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        login(page, base, secret)
        page.goto(f"{base}/findings/{rows['COUNTER_CLUTTER']}")
        page.wait_for_function("() => document.getElementById('reference').naturalWidth > 0")
        page.wait_for_selector("#timeline svg")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        for box in ("#reference-box", "#keyframe-box", "#timeline"):
            r = page.locator(box).bounding_box()
            assert r["x"] >= 0 and r["x"] + r["width"] <= PHONE["width"], box
        assert len(_ticks(page)) >= 2 and _round(_ticks(page), 5)
        page.screenshot(path=str(SHOTS / "reference_390x844.png"), full_page=True)
    finally:
        context.close()
