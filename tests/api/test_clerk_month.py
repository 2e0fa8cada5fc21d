"""A clerk's month in a real headless Chromium (issue 25 item 4): Policy B assesses a
month's incident fines, the CSV and Excel buttons download the file for the form as filled,
the file and the page carry the same columns and figures, and a period the policy cannot
take gives a message beside the buttons, never a page of raw JSON."""

from __future__ import annotations

import csv
import io

from rules.periods import PERIOD_FORMS
from tests.api.test_review_day import site  # noqa: F401  (the served, filled database)
from tests.support.browser import DESKTOP, artifacts, login, needs_chromium, token

pytestmark = needs_chromium

SHOTS = artifacts("clerk_month")


def test_the_clerk_exports_a_policy_b_month_and_an_impossible_period_says_why(site):  # noqa: F811
    base = site.base
    page = site.browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
    login(page, base, token(site.url, "assessment", "clerk"))
    page.goto(f"{base}/assessments?policy=B&period=2026-11")
    assert page.locator("p.error").count() == 0
    shown = {
        row.get_attribute("data-branch"): row.locator("td[data-field=incident_yuan]").text_content()
        for row in page.locator("tr[data-branch]").all()
    }
    headers = page.locator("th[data-field]").all_text_contents()
    with page.expect_download() as waiting:
        page.click("a.export[data-ext=csv]")
    download = waiting.value
    assert download.suggested_filename == "assessment_B_2026-11.csv"
    text = download.path().read_text(encoding="utf-8-sig")
    top, header, *rows = csv.reader(io.StringIO(text))
    assert "2026-11 (month)" in top and header[2:] == headers  # the page's columns are the file's
    branch, fined = header.index("网点 branch"), header.index("罚款(元) incident_yuan")
    assert {r[branch]: f"{float(r[fined]):.2f}" for r in rows} == shown
    assert any(float(r[fined]) > 0 for r in rows)  # the confirmed findings' fines
    _wait_text(page, "#export-message", "已下载 Downloaded")
    page.screenshot(path=str(SHOTS / "month_b_1366x900.png"), full_page=True)

    page.fill("input[name=period]", "2026-13")  # typed, not yet assessed: the buttons use it
    page.click("a.export[data-ext=xlsx]")
    _wait_text(page, "#export-message", "无法导出 Cannot export")
    message = page.text_content("#export-message")
    assert "无效输入 Invalid input" in message and PERIOD_FORMS[:40] in message
    assert page.url.endswith("/assessments?policy=B&period=2026-11")  # still the page
    page.fill("input[name=period]", "2026-11")
    with page.expect_download() as waiting:
        page.click("a.export[data-ext=xlsx]")
    assert waiting.value.suggested_filename == "assessment_B_2026-11.xlsx"


def _wait_text(page, selector: str, part: str) -> None:
    page.wait_for_function(
        "([s, p]) => (document.querySelector(s)?.textContent || '').includes(p)",
        arg=[selector, part],
    )
