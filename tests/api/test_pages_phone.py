"""Every page on a phone (390×844) in a real headless Chromium: nothing wider than the
screen (tables scroll inside their cards), the logout reachable, the menu button opening
the navigation, and the shipped CJK font loaded.

Screenshots of the main pages at 1366×900 and 390×844 go to $BRANCH_AUDIT_ARTIFACTS, else
`tests/artifacts/` (ignored by git), for a person to look at.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.report.charts import Band, ZoneTrack, day_chart
from pipeline.report.html import BranchSection, ReportFinding, render_report
from rules.checklist import load_checklist
from tests.api import test_review_page as review
from tests.support.browser import ARGS, CHROMIUM, DESKTOP, PHONE, REPO, token
from tests.support.browser import login as _login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]

server = review.server  # `branch-audit serve` over the filled database, as the review test uses

PAGES = {  # name → path, as an admin sees them
    "branches": "/branches",
    "branch": "/branches/JS-HA-001",
    "appeals": "/appeals",
    "assessments": "/assessments?policy=B&period=2026-S3",
    "notice": "/notices/JS-HA-001/2026-W45",
    "docs": "/docs",
    "error": "/branches/nosuch",
    "review": "/review",  # the queue beside the first pending finding's page
    "reviewed": "/reviewed",
    "candidates": "/candidates",
}
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"
FONT_LOADED = """async () => { await document.fonts.ready;
  return [...document.fonts].some(f => f.family.includes('Noto Sans SC Subset') && f.status === 'loaded'); }"""


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("BRANCH_AUDIT_ARTIFACTS") or REPO / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _logout_reachable(page) -> None:
    box = page.locator("#logout").bounding_box()
    assert box and page.locator("#logout").is_visible(), page.url
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (page.url, box)


def test_every_page_fits_a_phone_with_the_logout_in_reach(server, browser, artifacts):
    base, _, url = server
    admin = token(url, "admin", "ada")
    phone = browser.new_page(viewport=PHONE)
    desktop = browser.new_page(viewport=DESKTOP)
    phone.goto(f"{base}/login")
    assert phone.evaluate(FITS), "login"
    phone.screenshot(path=str(artifacts / "login-390.png"), full_page=True)
    for page in (phone, desktop):
        _login(page, base, admin)
    for name, path in PAGES.items():
        phone.goto(base + path)
        phone.wait_for_load_state("networkidle")
        assert phone.evaluate(FITS), (
            f"{name}: {phone.evaluate('document.documentElement.scrollWidth')} px wide"
        )
        if name != "notice":  # the notice is the mailed document: no site frame
            _logout_reachable(phone)
            assert phone.evaluate(FONT_LOADED), f"{name}: the CJK font did not load"
        phone.screenshot(path=str(artifacts / f"{name}-390.png"), full_page=True)
        desktop.goto(base + path)
        desktop.wait_for_load_state("networkidle")
        desktop.screenshot(path=str(artifacts / f"{name}-1366.png"), full_page=True)
    # the menu button opens the navigation, whose links then fit the screen
    phone.goto(f"{base}/branches")
    assert not phone.locator("#nav").is_visible()
    phone.click("label.menu-button")
    assert phone.locator("#nav").is_visible()
    link = phone.locator("#nav a[href='/assessments']")
    box = link.bounding_box()
    assert box and box["x"] + box["width"] <= PHONE["width"]
    phone.screenshot(path=str(artifacts / "menu-open-390.png"))
    link.click()
    phone.wait_for_url(f"{base}/assessments")
    # on a desktop the navigation is there without the button
    desktop.goto(f"{base}/branches")
    assert (
        desktop.locator("#nav").is_visible()
        and not desktop.locator("label.menu-button").is_visible()
    )


def test_a_branch_manager_sees_pending_counts_without_review_links(server, browser):
    base, _, url = server
    secret = token(url, "branch", "bo", "--branch", "JS-HA-001")
    page = browser.new_page(viewport=PHONE)
    _login(page, base, secret)
    assert page.url == f"{base}/branches/JS-HA-001"
    page.goto(f"{base}/branches")
    assert page.locator("td.pending-count").first.text_content() == "3"
    assert page.locator("td.pending-count a").count() == 0  # the count, not a link to review
    _logout_reachable(page)
    page.click("#logout")
    page.wait_for_url(f"{base}/login")


def _report(folder: Path) -> Path:
    """A report of one branch-day with a zone chart and findings, as `branch-audit report`
    renders it (pipeline/report/html.py)."""
    tz = ZoneInfo("Asia/Shanghai")
    opening = datetime(2026, 11, 2, 9, tzinfo=tz)
    closing = opening + timedelta(hours=8)
    absent = Band(
        opening + timedelta(hours=2),
        opening + timedelta(hours=2, minutes=16),
        "LOBBY_MANAGER_ABSENT",
    )
    tracks = [
        ZoneTrack("lobby-1", "lm-desk", "lobby_manager", [(opening, closing, False)], [], [absent]),
        ZoneTrack("counter-1", "post-1", "teller_post", [(opening, closing, False)], [], []),
    ]
    findings = [
        ReportFinding("f1", "LOBBY_MANAGER_ABSENT", "lobby-1", "lm-desk（大堂经理岗 lobby manager）",
                      absent.start, absent.end, 0.91, "pending", None)
    ]  # fmt: skip
    section = BranchSection(
        "JS-HA-001", "淮安清江浦支行", "huaian", 96, 100, 0.97,
        day_chart(tracks, opening, closing), findings,
        outcomes={"方案二 Policy B (2026-S3)": "penalty, -1400 yuan: stage 3 target 98 − score 96"},
        timezone="Asia/Shanghai",
    )  # fmt: skip
    path = folder / "report.html"
    path.write_text(render_report("2026-11-02", [section], load_checklist()), encoding="utf-8")
    return path


def test_the_report_fits_a_phone_and_carries_its_font(browser, artifacts):
    report = _report(artifacts)
    for viewport, suffix in ((PHONE, "390"), (DESKTOP, "1366")):
        page = browser.new_page(viewport=viewport)
        page.goto(report.as_uri())
        assert page.evaluate(FITS), f"report at {suffix}"
        assert page.evaluate(FONT_LOADED), "the report's inlined font did not load"
        page.screenshot(path=str(artifacts / f"report-{suffix}.png"), full_page=True)
