"""The review page in a real headless Chromium against `branch-audit serve`.

Screenshots go to $BRANCH_AUDIT_SCREENSHOTS when set (to look at the pages), else to the
test's temporary directory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.api import filled_db

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


def _cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return done.stdout


@pytest.fixture
def server(tmp_path):
    """`branch-audit serve` on a free port over a filled database, and a supervisor's token."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    evidence = tmp_path / "evidence"
    filled_db(url, evidence)
    token = _cli(
        "token",
        "create",
        "--role",
        "supervisor",
        "--region",
        "huaian",
        "--name",
        "sam",
        "--db",
        url,
    ).splitlines()[-1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--db", url,
         "--evidence", str(evidence)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/login").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
        if proc.poll() is not None:
            pytest.fail(f"serve exited: {log.read_text()}")
    yield base, token, url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser.new_page(viewport={"width": 1360, "height": 900})
        browser.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("BRANCH_AUDIT_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _login(page, base: str, token: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _api(base: str, token: str, path: str):
    return httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}).json()


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
    page.keyboard.press("r")
    page.wait_for_function(
        "() => document.getElementById('message').textContent.includes('整改令')"
    )
    assert "rectification order #1 given: JS-HA-001" in page.text_content("#message")
    (order,) = _api(base, token, "/api/v1/branches/JS-HA-001/rectifications")
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

    check = _api(base, token, "/api/v1/checks?branch=JS-HA-001&from=2026-11-02&to=2026-11-02")[0]
    assert (check["final_score"], check["provisional_score"]) == (98, 98)
    findings = _api(base, token, "/api/v1/findings?branch=JS-HA-001&date=2026-11-02")["items"]
    assert {f["item"]: f["status"] for f in findings} == {
        "TELLER_ABSENT": "confirmed",
        "PHONE_USE": "dismissed",
    }
    phone = next(f for f in findings if f["item"] == "PHONE_USE")
    review = _api(base, token, f"/api/v1/findings/{phone['id']}")["reviews"][-1]
    assert review["note"] == "customer's phone, not the teller's" and review["reviewer"] == "sam"

    page.goto(f"{base}/review")  # the filter form: an empty field means "all"
    page.select_option("select[name=branch]", "JS-HA-002")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/review?branch=JS-HA-002&date=&item=")
    assert set(page.locator("#queue-list small").all_text_contents()) == {
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
    manager = _cli("token", "create", "--role", "branch", "--branch", "JS-HA-001", "--db", url)
    manager = manager.splitlines()[-1]
    province = _cli("token", "create", "--role", "province", "--name", "省分行", "--db", url)
    province = province.splitlines()[-1]
    branch_page = page.context.browser.new_page(viewport={"width": 1360, "height": 900})
    _login(branch_page, base, manager)
    assert branch_page.url == f"{base}/branches/JS-HA-001"
    assert branch_page.locator("a", has_text="Review").count() == 0  # a branch cannot review
    row = branch_page.locator("tr", has=branch_page.locator("summary", has_text="Appeal"))
    row.locator("summary").click()
    row.locator("textarea").fill("大堂经理在客户区引导客户 — guiding a customer")
    row.locator("button", has_text="Submit").click()
    branch_page.wait_for_function(
        "() => [...document.querySelectorAll('.appeal-form .message')].some(m => m.textContent.includes('filed'))"
    )
    shots(branch_page, "branch_manager")

    _login(page, base, province)
    assert page.url == f"{base}/appeals"  # the province's page is the appeals to decide
    assert "guiding a customer" in page.text_content(".appeal-card blockquote")
    shots(page, "appeals_pending")
    before = _api(base, supervisor, "/api/v1/checks?branch=JS-HA-001&from=2026-11-03&to=2026-11-03")
    page.locator(".appeal-card button", has_text="Grant").click()
    page.wait_for_function(
        "() => document.querySelector('.appeal-card .message').textContent.includes('Granted')"
    )
    after = _api(base, supervisor, "/api/v1/checks?branch=JS-HA-001&from=2026-11-03&to=2026-11-03")
    assert after[0]["final_score"] == before[0]["final_score"] + 2  # the lobby deduction is gone
