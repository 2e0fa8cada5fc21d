"""The review pages' scripts are ES modules served as they are (api/static, no build step):
each page loads them under the site's CSP with no console error and no failed request."""

from __future__ import annotations

import shutil

import pytest

from tests.support.api import filled_db
from tests.support.browser import DESKTOP, chromium, login, needs_chromium, serving, token

pytestmark = needs_chromium


@pytest.fixture
def review_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    evidence = tmp_path / "evidence"
    filled_db(url, evidence)
    secret = token(url, "supervisor", "sam", "--region", "huaian")
    with serving(url, evidence, tmp_path / "serve.log") as base:
        yield base, secret


@pytest.fixture
def candidates_server(phone_night, tmp_path):
    url, evidence, _ = phone_night
    db_file = tmp_path / "copy.db"
    shutil.copy(url.removeprefix("sqlite:///"), db_file)
    db = f"sqlite:///{db_file}"
    secret = token(db, "supervisor", "sam", "--region", "test")
    with serving(db, evidence, tmp_path / "serve.log") as base:
        yield base, secret


def _load_cleanly(base: str, secret: str, path: str, ready: str, module: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        scripts: list[str] = []
        page.on(
            "response",
            lambda r: scripts.append(f"{r.status} {r.url}") if r.url.endswith(".js") else None,
        )
        login(page, base, secret)
        page.goto(base + path)
        page.wait_for_function(ready)
        page.wait_for_load_state("networkidle")
        assert errors == [], errors
        assert scripts and all(s.startswith("200 ") for s in scripts), scripts
        assert any(s.endswith(f"/static/{module}") for s in scripts), scripts  # imported


def test_the_review_page_loads_its_modules_without_errors(review_server):
    base, secret = review_server
    _load_cleanly(
        base,
        secret,
        "/review",
        "() => document.querySelectorAll('#queue-list li').length > 0",
        "timeline.js",
    )


def test_the_candidates_page_loads_its_modules_without_errors(candidates_server):
    base, secret = candidates_server
    _load_cleanly(
        base,
        secret,
        "/candidates",
        "() => document.getElementById('crop').naturalWidth > 0",
        "keys.js",
    )
