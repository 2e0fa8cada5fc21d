"""A finding whose evidence could not be made carries why (pipeline/batch/judge.py), and
the API gives it to the finding page, which says it (api/static/finding.js)."""

from __future__ import annotations

import pytest

from pipeline.store import models as m
from tests.support.api import running_api


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def test_a_finding_without_evidence_says_why(api):
    fid = api.finding(api.own, "pending")
    assert api.get("admin", f"/api/v1/findings/{fid}").json()["evidence_note"] is None
    why = "finding x: no footage of camera c at the key time 2026-11-27T09:00:33+08:00"
    with api.db.session() as s:
        row = s.get(m.Finding, fid)
        row.clip = row.keyframe = None
        row.evidence_note = why
    detail = api.get("admin", f"/api/v1/findings/{fid}").json()
    assert (detail["clip_url"], detail["keyframe_url"], detail["evidence_note"]) == (
        None,
        None,
        why,
    )
