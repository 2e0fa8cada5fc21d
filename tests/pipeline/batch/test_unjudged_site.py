"""A site on which no enabled item can be judged (issue 22 row 8): refused by the night
with one line naming it, and a check that judged nothing is not complete, however much
footage it read (pipeline/site.judged_cameras is the one rule of both)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline.batch.executors import LocalExecutor
from pipeline.batch.night import Night, plan_night
from pipeline.batch.units import DetectorSpec, UnitSettings, plan_branch_day
from pipeline.footage.sampler import SamplingSpec
from pipeline.site import SiteError
from pipeline.store import models as m
from pipeline.store.db import Database
from rules.checklist import load_checklist
from tests.support.recordings import DAY, at, write_clip

CHECKLIST = load_checklist()
SETTINGS = UnitSettings(SamplingSpec(rate=1.0), DetectorSpec(phone=None))
POST = "{id: post-1, purpose: teller_post, polygon: [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8]]}"
LOBBY = "{id: hall, purpose: lobby, polygon: [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8]]}"


def _site(tmp_path, branch: str, *cameras: str) -> object:
    """A site whose cameras have these zone lists (YAML flow sequences)."""
    lines = [
        f"branch: {{id: {branch}, timezone: Asia/Shanghai}}",
        'business_hours: {mon-sun: ["09:00", "09:01"]}',
        "cameras:",
    ]
    for n, zones in enumerate(cameras, start=1):
        lines += [
            f"  - id: cam-{n}",
            f'    recordings: {{folder: rec-{n}, pattern: "cam-{n}_%Y%m%d_%H%M%S.mp4"}}',
            f"    zones: {zones}",
        ]
    path = tmp_path / f"{branch}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# case, each camera's zones, refused
SITES = [
    ("no zones at all", ["[]"], True),
    ("only a zone no enabled item reads", [f"[{LOBBY}]"], True),
    ("two cameras, neither judged", ["[]", f"[{LOBBY}]"], True),
    ("a teller post", [f"[{POST}]"], False),
    ("a camera without zones beside a teller post", ["[]", f"[{POST}]"], False),
]


@pytest.mark.parametrize(("case", "cameras", "refused"), SITES, ids=[s[0] for s in SITES])
def test_a_site_nothing_can_be_judged_on_costs_its_own_branch(tmp_path, case, cameras, refused):
    site = _site(tmp_path, "ODD", *cameras)
    good = _site(tmp_path, "GOOD", f"[{POST}]")
    days, bad = plan_night([site, good], DAY, SETTINGS, strict=False, checklist=CHECKLIST)
    assert [bd.branch for bd in days] == (["GOOD"] if refused else ["ODD", "GOOD"])
    if refused:
        (line,) = bad
        assert line.unit == str(site)
        assert "no enabled checklist item can be judged on this site" in line.reason
        with pytest.raises(SiteError, match="no enabled checklist item"):
            plan_night([site], DAY, SETTINGS, strict=True, checklist=CHECKLIST)
    else:
        assert bad == []


def test_a_check_that_judged_nothing_is_not_complete(tmp_path):
    """A whole minute of readable footage on a camera without zones: seen, but nothing on
    it was judged, so the check is incomplete (it scored 100, complete, before)."""
    site = _site(tmp_path, "NOZONES", "[]")
    write_clip(tmp_path / "rec-1" / at(0).strftime("cam-1_%Y%m%d_%H%M%S.mp4"), 60)
    db = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    night = Night(db, SETTINGS, CHECKLIST, None, LocalExecutor(1))
    report = night.run([plan_branch_day(site, DAY, SETTINGS)], DAY)
    judged = report.reports["NOZONES"]
    assert judged.failed_units == [] and report.units["done"] == 1  # the file was read
    assert (judged.coverage, judged.complete) == (0.0, False)
    with db.session() as s:
        assert s.scalars(select(m.CheckScore.coverage)).one() == 0.0
    db.dispose()
