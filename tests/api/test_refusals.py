"""403 and 404 say why in both languages, Chinese first: in the API's JSON (a 403's reason)
and on the pages (the reason above the route's detail) (issue 25 point 14)."""

from __future__ import annotations

import pytest

from tests.support.api import running_api


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def test_a_refusal_says_why_chinese_first(api):
    refused = api.post("branch", f"/api/v1/branches/{api.own}/notices/2026-W45")
    assert refused.status_code == 403
    assert (
        refused.json()["detail"] == "角色 branch 不能复核发现 · role branch may not review findings"
    )
    page = api.get("branch", "/review")
    assert page.status_code == 403
    assert "您的角色不能查看此页" in page.text and "Your role may not see this page" in page.text
    assert "角色 branch 不能复核发现" in page.text
    missing = api.get("supervisor", f"/branches/{api.other}")
    assert missing.status_code == 404
    assert "不在您可查看的范围内" in missing.text and "outside what you may see" in missing.text
