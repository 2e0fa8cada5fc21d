"""Zones stored with the branch (issue 24 part 4): the night run stores each camera's zones
with their ids and purposes as it stores the cameras (pipeline/batch/writer.py), and pages,
the notice and the finding filters read them from the database (pipeline/store/zones.py):
a moved site file changes nothing they show, and the filter finds a finding judged over
all lobby-manager zones by the zone's own name, the one its timeline shows."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from api import moment_clips
from api.queries import zone_labels
from api.schemas import FindingOut
from pipeline.evidence.clips import EvidenceError
from pipeline.report.build import build_report
from pipeline.report.notice import build_notice
from pipeline.site import load_site
from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.zones import stored_zones
from rules.checklist import load_checklist
from tests.support.api import running_api
from tests.support.run_site import BRANCH, CHECKLIST, DAY


def test_the_night_stores_the_sites_zones_and_pages_need_no_site_file(reference_run, tmp_path):
    site, db_file, doc = reference_run
    copy = tmp_path / "night.db"
    shutil.copy(db_file, copy)
    db = Database(f"sqlite:///{copy}")
    with db.session() as s:
        assert stored_zones(s, BRANCH) == list(load_site(site).schedule().zones)
        # the site file moves away: the server can no longer read it
        s.execute(update(m.Branch).values(site_path=str(tmp_path / "moved" / "site.yaml")))
        s.flush()
        rows = s.scalars(select(m.Finding).where(m.Finding.branch_id == BRANCH)).all()
        assert rows and {r.zone for r in rows} == {"post-1"}
        rows[0].status = "confirmed"
        s.flush()
        branch = s.get(m.Branch, BRANCH)
        notice = build_notice(
            s, branch, "2024-W19", load_checklist(CHECKLIST), {}, tmp_path / "evidence"
        )
        assert [f.where for f in notice.findings] == ["post / post-1（柜员岗位 teller post）"]
    db.dispose()
    assert doc["branches"][BRANCH]["findings"]  # the run found the absences it stored


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        with api.db.session() as s:  # zones as a night run of the own branch stores them
            now = datetime.now(UTC)
            for camera, zone, purpose in (
                ("lobby-1", "lm-desk", "lobby_manager"),
                ("counter-1", "post-1", "teller_post"),
                ("counter-1", "post-2", "teller_post"),
            ):
                s.add(m.Zone(branch_id=api.own, camera_id=camera, id=zone, purpose=purpose,
                             updated_at=now))  # fmt: skip
        yield api


def test_the_filter_finds_a_lobby_manager_finding_by_its_zones_name(api):
    lm = api.finding(api.own, "confirmed", "LOBBY_MANAGER_ABSENT")  # stored zone: lobby_manager
    found = api.get("supervisor", f"/api/v1/findings?branch={api.own}&zone=lm-desk").json()
    assert [f["id"] for f in found["items"]] == [lm]
    post = api.get("supervisor", f"/api/v1/findings?branch={api.own}&zone=post-1").json()
    assert {f["zone"] for f in post["items"]} == {"post-1"}  # a zone judged alone: itself
    page = api.get("supervisor", f"/reviewed?branch={api.own}").text
    assert '<option value="lm-desk">' in page and '<option value="post-2">' in page
    with api.db.session() as s:
        detail = api.get("supervisor", f"/api/v1/findings/{lm}").json()
        labels = zone_labels(s, [FindingOut.model_validate(detail)])
    assert labels[lm] == "lm-desk（大堂经理岗 lobby manager）"


def test_the_report_names_zones_and_draws_its_chart_with_the_site_file_moved(
    reference_run, tmp_path
):
    """The report reads the branch's clock, calendar and zones from the database: with the
    site file gone its findings still name their zone with its purpose, and the day's
    chart still spans the business hours."""
    _, db_file, _ = reference_run
    copy = tmp_path / "night.db"
    shutil.copy(db_file, copy)
    db = Database(f"sqlite:///{copy}")
    with db.session() as s:
        s.execute(update(m.Branch).values(site_path=str(tmp_path / "moved" / "site.yaml")))
    html, covered = build_report(
        db, DAY, load_checklist(CHECKLIST), tmp_path / "evidence", [BRANCH]
    )
    db.dispose()
    assert covered == 1
    assert "post-1（柜员岗位 teller post）" in html  # the stored zone with its purpose
    assert "<svg" in html  # the day chart: opening and closing from the stored calendar


def test_a_moment_clip_highlights_the_stored_zone_a_purpose_finding_names(api, monkeypatch):
    """A finding judged over all lobby-manager zones names the purpose; its moment clip
    draws the camera's stored zone of that purpose highlighted (`lm-desk`), not a zone id
    no site has."""
    asked = []

    def moment_request(site_path, finding_id, item, camera, zone, day, at):
        asked.append((camera, zone))
        raise EvidenceError("no recordings here")

    monkeypatch.setattr(moment_clips, "moment_request", moment_request)
    lm = api.finding(api.own, "confirmed", "LOBBY_MANAGER_ABSENT")
    with api.db.session() as s:
        start = s.get(m.Finding, lm).start
    got = api.get("supervisor", f"/api/v1/findings/{lm}/clip", params={"at": start.isoformat()})
    assert got.status_code == 404 and "no recordings here" in got.json()["detail"]
    assert asked == [("lobby-1", "lm-desk")]
