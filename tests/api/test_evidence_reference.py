"""A clutter finding's clean reference, served by the finding's id beside its key frame
(api/routes/findings.py, pipeline/evidence/clips.reference_path): its name is made from the
stored key frame, never from the request, and it is refused across branches as the
finding is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.evidence.clips import reference_path
from pipeline.store import models as m
from tests.support.api import running_api


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _store_reference(api, fid: str) -> bytes:
    """A clean reference beside the finding's key frame, as write_evidence leaves it."""
    with api.db.session() as s:
        keyframe = s.get(m.Finding, fid).keyframe
    ok, jpeg = cv2.imencode(".jpg", np.full((120, 160, 3), (200, 210, 220), np.uint8))
    assert ok
    (api.evidence / reference_path(keyframe)).write_bytes(jpeg.tobytes())
    return jpeg.tobytes()


def test_a_clutter_findings_reference_is_served_by_its_id(api):
    fid = api.finding(api.own, "pending", "COUNTER_CLUTTER")
    data = _store_reference(api, fid)
    detail = api.get("branch", f"/api/v1/findings/{fid}").json()
    assert detail["reference_url"] == f"/api/v1/findings/{fid}/reference"
    for who in ("branch", "supervisor", "admin"):
        got = api.get(who, detail["reference_url"])
        assert got.status_code == 200, (who, got.text)
        assert got.headers["content-type"] == "image/jpeg" and got.content == data
    # other items have no reference to show
    other = api.finding(api.own, "pending", "TELLER_ABSENT")
    assert api.get("admin", f"/api/v1/findings/{other}").json()["reference_url"] is None


def test_the_reference_is_refused_across_branches(api):
    fid = api.finding(api.other, "pending", "COUNTER_CLUTTER")
    _store_reference(api, fid)
    assert api.get("admin", f"/api/v1/findings/{fid}/reference").status_code == 200
    for who in ("branch", "supervisor"):  # another region's branch: not theirs to see
        got = api.get(who, f"/api/v1/findings/{fid}/reference")
        assert got.status_code == 404 and "image" not in got.headers["content-type"]


def test_a_zone_without_a_reference_photo_says_so_in_both_languages(api):
    fid = api.finding(api.own, "pending", "COUNTER_CLUTTER")
    got = api.get("admin", f"/api/v1/findings/{fid}/reference")
    assert got.status_code == 404
    assert "整洁参考图" in got.text and "reference photo" in got.text


def test_a_stored_key_frame_name_leaving_the_store_serves_nothing(api):
    """Names come from the database; one pointing outside the evidence root is refused."""
    fid = api.finding(api.own, "pending", "COUNTER_CLUTTER")
    outside = api.evidence.parent / "secret-reference.jpg"
    outside.write_bytes(b"\xff\xd8 not for the page")
    with api.db.session() as s:
        s.get(m.Finding, fid).keyframe = "../secret.jpg"
    got = api.get("admin", f"/api/v1/findings/{fid}/reference")
    assert got.status_code == 404 and b"not for the page" not in got.content
