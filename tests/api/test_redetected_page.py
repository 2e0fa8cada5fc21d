"""The finding page in a real headless Chromium shows a reviewed incident a re-run found
again as "重新检出 Re-detected" beside it, and nothing of the kind where there is none."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.api import filled_db
from tests.support.browser import chromium, login, needs_chromium, serving, token

pytestmark = needs_chromium


def test_the_finding_page_shows_a_re_detection_beside_the_reviewed_finding(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    filled_db(url, tmp_path / "evidence")
    db = Database(url)
    with db.session() as s:
        ours = select(m.Finding).where(m.Finding.branch_id == "JS-HA-001")
        held = s.scalars(ours.where(m.Finding.status == "confirmed")).first()
        plain = s.scalars(ours.where(m.Finding.status == "pending")).first()
        held.redetected = [  # as pipeline/store/findings.py records it
            {"start": "2026-11-03T03:20:01+00:00", "end": "2026-11-03T03:35:00+00:00",
             "run_id": 7, "detector_version": "v2"}
        ]  # fmt: skip
        held_id, plain_id = held.id, plain.id
    db.dispose()
    secret = token(url, "supervisor", "sam", "--region", "huaian")
    with serving(url, tmp_path / "evidence", tmp_path / "serve.log") as base, chromium() as b:
        page = b.new_page()
        login(page, base, secret)
        page.goto(f"{base}/findings/{held_id}")
        page.wait_for_selector("#f-redetected:not([hidden])")
        shown = page.text_content("#f-redetected")
        assert "2026-11-03 11:20:01–11:35:00 (Asia/Shanghai)" in shown
        assert "run #7" in shown and "不重复扣分" in shown
        assert page.is_visible("#f-redetected-label")
        page.goto(f"{base}/findings/{plain_id}")
        page.wait_for_selector("#f-versions:not(:empty)")
        assert not page.is_visible("#f-redetected")
