"""The pages in a real headless Chromium against `branch-audit serve`: the server in a
process of its own over a given database, tokens made by the CLI, and screenshots for a
person to look at, in $BRANCH_AUDIT_SCREENSHOTS or else tests/artifacts/ (gitignored)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

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
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=REPO, capture_output=True, text=True, check=True, env=env(),
    )  # fmt: skip
    return done.stdout


def token(url: str, role: str, name: str, *scope: str) -> str:
    """A new token of `role` (scope: "--region", "huaian" or "--branch", "ID")."""
    return cli("token", "create", "--role", role, "--name", name, *scope, "--db", url).splitlines()[
        -1
    ]


@contextmanager
def serving(url: str, evidence: Path, log: Path) -> Iterator[str]:
    """`branch-audit serve` on a free port; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--db", url,
         "--evidence", str(evidence)],
        cwd=REPO, env=env(), stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/login").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if proc.poll() is not None:
                pytest.fail(f"serve exited: {log.read_text()}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def chromium() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def artifacts(name: str) -> Path:
    folder = Path(os.environ.get("BRANCH_AUDIT_SCREENSHOTS") or REPO / "tests" / "artifacts") / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def login(page, base: str, secret: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#token", secret)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def api_get(base: str, secret: str, path: str):
    return httpx.get(base + path, headers={"Authorization": f"Bearer {secret}"}).json()
