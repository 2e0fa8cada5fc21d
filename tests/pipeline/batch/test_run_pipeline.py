"""`branch-audit run` end to end on real footage: findings as the labels imply, stored
once however often the date is run, failed units recorded, both databases alike."""

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pipeline.evidence.store import sweep, temp_file
from pipeline.processes import HOST
from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.run_site import (
    BRANCH,
    CORRUPT_AT,
    DAY,
    STARTS,
    at,
    build_site,
    env,
    finding_keys,
    label_findings,
    run_cli,
)

NOW = datetime(2024, 5, 7, 8, tzinfo=UTC)


def _copy_db(reference_run, tmp_path) -> str:
    path = tmp_path / "copy.db"
    shutil.copy(reference_run[1], path)
    return f"sqlite:///{path}"


def test_findings_are_the_absences_the_labels_show(reference_run):
    site, db_path, doc = reference_run
    branch = doc["branches"][BRANCH]
    found = [
        (datetime.fromisoformat(f["start"]), datetime.fromisoformat(f["end"]))
        for f in branch["findings"]
    ]
    expected = label_findings()
    assert len(expected) == 12  # six absences in each copy of the clip
    assert len(found) == len(expected), found
    tolerance = timedelta(seconds=2)  # a sample either side of a labelled transition
    for (start, end), (want_start, want_end) in zip(found, expected, strict=True):
        assert abs(start - want_start) <= tolerance and abs(end - want_end) <= tolerance
    assert {f["item"] for f in branch["findings"]} == {"TELLER_ABSENT"}
    assert {(f["camera"], f["zone"], f["status"]) for f in branch["findings"]} == {
        ("post", "post-1", "pending")
    }
    assert branch["score"] == 90  # 12 × 2 points, capped at 10
    # two 139.4 s copies in 360 s of business hours
    assert branch["coverage"] == pytest.approx(2 * 139.4 / 360, abs=0.02)
    assert doc["failed_units"] == []

    db = Database(f"sqlite:///{db_path}")
    with db.session() as s:
        units = s.scalars(select(m.WorkUnit)).all()
        assert sorted(u.key for u in units) == [
            at(t).strftime("post_%Y%m%d_%H%M%S.mp4") for t in STARTS
        ]
        assert all(u.status == "done" and u.samples >= 139 for u in units)
        gaps = s.scalars(select(m.CoverageGap)).all()
        hole = [g for g in gaps if g.reason == "no file"]
        assert len(hole) == 2  # between the copies, and after the second one
        run = s.scalars(select(m.Run)).one()
        assert run.status == "done" and run.detector_version.startswith("nanodet")
        check = s.get(m.CheckScore, (BRANCH, DAY))
        assert (check.provisional, check.findings) == (90, {"TELLER_ABSENT": 12})
    db.dispose()


def test_rerun_replaces_findings_and_keeps_reviews(reference_run, tmp_path):
    site, _, first = reference_run
    url = _copy_db(reference_run, tmp_path)
    ids = [f["id"] for f in first["branches"][BRANCH]["findings"]]
    db = Database(url)
    with db.session() as s:
        s.get(m.Finding, ids[0]).status = "confirmed"
        s.add(m.Review(finding_id=ids[0], decision="confirm", note="seen", reviewer="sup", at=NOW))
        s.get(m.Finding, ids[1]).status = "dismissed"
        template = s.get(m.Finding, ids[2])
        for fake, status in (("stalepending0000", "pending"), ("staleconfirmed00", "confirmed")):
            s.add(
                m.Finding(
                    id=fake, branch_id=BRANCH, date=DAY, item="TELLER_ABSENT", zone="post-1",
                    cameras=["post"], start=template.start, end=template.end, duration_s=1,
                    confidence=1, support=[], status=status, created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip

    second = run_cli(site, url)

    assert finding_keys(second) == finding_keys(first)
    with db.session() as s:
        rows = {r.id: r for r in s.scalars(select(m.Finding))}
        assert set(rows) == {*ids, "staleconfirmed00"}  # stale pending gone, reviewed kept
        assert rows[ids[0]].status == "confirmed" and len(rows[ids[0]].reviews) == 1
        assert rows[ids[1]].status == "dismissed"
        assert all(u.attempts == 1 for u in s.scalars(select(m.WorkUnit)))  # nothing redone
        assert [r.status for r in s.scalars(select(m.Run).order_by(m.Run.id))] == ["done"] * 2
        check = s.get(m.CheckScore, (BRANCH, DAY))
        # 11 produced and not dismissed + the kept confirmed one; final counts the two
        # confirmed: 2 + 2 × 2 (a repeat doubles) = 6
        assert check.findings == {"TELLER_ABSENT": 12}
        assert (check.provisional, check.final) == (90, 94)
    assert second["branches"][BRANCH]["findings"][0]["status"] == "confirmed"
    db.dispose()


def test_a_corrupt_file_is_a_failed_unit_and_the_rest_stands(reference_run, tmp_path, footage):
    site = build_site(tmp_path / "site", footage, corrupt=True)
    url = _copy_db(reference_run, tmp_path)

    doc = run_cli(site, url)

    (failed,) = doc["failed_units"]
    corrupt_name = at(CORRUPT_AT).strftime("post_%Y%m%d_%H%M%S.mp4")
    assert failed["unit"] == f"{BRANCH}/post/{corrupt_name}"
    assert "unreadable" in failed["reason"]
    assert finding_keys(doc) == finding_keys(reference_run[2])
    db = Database(url)
    with db.session() as s:
        unit = s.scalars(select(m.WorkUnit).where(m.WorkUnit.key == corrupt_name)).one()
        assert unit.status == "failed" and unit.observations is None
        gap = s.scalars(select(m.CoverageGap)).all()
        # its time, up to closing, is unknown with the reason: never an absence
        unknown = [g for g in gap if g.reason.startswith("unit failed: ")]
        assert len(unknown) == 1
        assert (unknown[0].end - unknown[0].start).total_seconds() == 360 - CORRUPT_AT
    db.dispose()


def test_sqlite_and_postgresql_store_the_same_findings(reference_run, db_url):
    site = reference_run[0]

    doc = run_cli(site, db_url)

    assert finding_keys(doc) == finding_keys(reference_run[2])
    db = Database(db_url)
    with db.session() as s:
        stored = sorted((r.id, r.start, r.end) for r in s.scalars(select(m.Finding)))
    db.dispose()
    want = sorted(
        (f["id"], datetime.fromisoformat(f["start"]), datetime.fromisoformat(f["end"]))
        for f in reference_run[2]["branches"][BRANCH]["findings"]
    )
    assert stored == want


OTHER_SITE = """\
branch: {{id: {id}, timezone: Asia/Shanghai}}
business_hours: {{{days}: ["09:00", "09:06"]}}
cameras:
  - id: door
    recordings: {{folder: nowhere, pattern: "door_%Y%m%d_%H%M%S.mp4"}}
    zones: [{{id: post-9, purpose: teller_post, polygon: [[0, 0], [1, 0], [1, 1]]}}]
"""


def test_a_folder_of_sites_runs_each_branch_on_its_own(reference_run, tmp_path):
    site, _, reference = reference_run
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "a-post.yaml").symlink_to(site)
    (sites / "b-blind.yaml").write_text(OTHER_SITE.format(id="BLIND", days="mon-sun"))
    (sites / "c-closed.yaml").write_text(OTHER_SITE.format(id="CLOSED", days="sun"))
    broken = OTHER_SITE.format(id="BROKEN", days="mon-sun").replace("[1, 1]]", "[1, 1.5]]")
    (sites / "d-broken.yaml").write_text(broken)

    doc = run_cli(sites, _copy_db(reference_run, tmp_path))

    assert finding_keys(doc) == finding_keys(reference)
    blind, closed = doc["branches"]["BLIND"], doc["branches"]["CLOSED"]
    # a camera whose recordings are missing is unknown all day: never an absence, never a
    # perfect check either: an incomplete check and one missing-footage finding to review
    assert (blind["coverage"], blind["complete"]) == (0.0, False)
    [lost] = blind["findings"]
    assert (lost["item"], lost["camera"], lost["status"]) == ("FOOTAGE_MISSING", "door", "pending")
    assert (lost["start"][11:19], lost["end"][11:19]) == ("09:00:00", "09:06:00")
    assert blind["score"] == 98
    # the test branch's own two clips leave 82 s of its 6 minutes unseen: incomplete too
    post = doc["branches"][BRANCH]
    assert post["coverage"] == pytest.approx(278.8 / 360, abs=0.01) and post["complete"] is False
    failed, bad_file = doc["failed_units"]
    assert failed["unit"] == "BLIND/door/(recordings)"
    assert "recordings folder not found" in failed["reason"]
    # a broken site file costs its own branch, not the night
    assert bad_file["unit"].endswith("d-broken.yaml") and "BROKEN" not in doc["branches"]
    assert "cameras[0].zones[0].polygon: point 2 is outside 0..1" in bad_file["reason"]
    assert closed == {
        "open": False,
        "score": None,
        "coverage": None,
        "complete": None,
        "findings": [],
    }


def test_a_branch_in_two_site_files_fails_alone(tmp_path):
    sites = tmp_path / "sites"
    sites.mkdir()
    for name in ("a-twice.yaml", "b-twice.yaml"):
        (sites / name).write_text(OTHER_SITE.format(id="TWICE", days="mon-sun"))
    (sites / "c-blind.yaml").write_text(OTHER_SITE.format(id="BLIND", days="mon-sun"))

    doc = run_cli(sites, f"sqlite:///{tmp_path / 'db.sqlite'}")

    assert set(doc["branches"]) == {"BLIND"}  # the night went on
    twice = [u for u in doc["failed_units"] if "TWICE" in u["reason"]]
    assert [u["unit"] for u in twice] == [str(sites / "a-twice.yaml"), str(sites / "b-twice.yaml")]
    for unit in twice:
        assert "a-twice.yaml" in unit["reason"] and "b-twice.yaml" in unit["reason"]


def test_a_run_removes_the_temp_files_killed_runs_left(tmp_path):
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "closed.yaml").write_text(OTHER_SITE.format(id="CLOSED", days="sun"))
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    dead = _ended_pid()
    killed = evidence / f".tmp-{HOST}-{dead}-abcd1234.mp4"  # its writer is gone
    old = evidence / ".tmp-k2j4h5g6.jpg"  # nobody's, untouched for two hours
    elsewhere = evidence / ".tmp-other-host-77-abcd1234.mp4"  # being written elsewhere
    live = evidence / f".tmp-{HOST}-{os.getpid()}-abcd1234.mp4"  # being written here
    for path in (killed, old, elsewhere, live):
        path.write_bytes(b"half a clip")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    run_cli(sites, f"sqlite:///{tmp_path / 'db.sqlite'}", "--evidence", str(evidence))

    assert sorted(p.name for p in evidence.iterdir()) == sorted([elsewhere.name, live.name])


def _ended_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


KILLED_WRITER = """\
import os, sys
from pathlib import Path
from pipeline.evidence.store import temp_file
writing = temp_file(Path(sys.argv[1]), ".mp4")
writing.__enter__()
os.kill(os.getpid(), 9)
"""


def test_a_temp_file_names_its_writer_for_the_sweep(tmp_path):
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], env=env())
    (left,) = tmp_path.iterdir()
    with temp_file(tmp_path, ".mp4") as mine:
        assert sweep(tmp_path) == [left]  # the killed writer's, not this live one's
        assert list(tmp_path.iterdir()) == [mine]
