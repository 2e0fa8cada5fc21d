"""Runs that share a database: two runs of one date at once do each unit once, a run
skips (or waits for) a branch-day another run holds, and takes over a killed run's."""

import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.leases import STALE, Leases
from tests.support.run_site import BRANCH, DAY, command, env, finding_keys


def _units_and_findings(url: str) -> tuple[list[int], list[str]]:
    db = Database(url)
    with db.session() as s:
        attempts = [u.attempts for u in s.scalars(select(m.WorkUnit))]
        findings = list(s.scalars(select(m.Finding.id)))
    db.dispose()
    return attempts, findings


def test_two_runs_at_once_on_a_fresh_database_do_each_unit_once(reference_run, db_url):
    site, _, reference = reference_run
    procs = [
        subprocess.Popen(
            command(site, db_url, "--wait", "--workers", "1"),
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]

    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0 and "Traceback" not in err, err[-3000:]
        assert finding_keys(json.loads(out)) == finding_keys(reference)
    attempts, findings = _units_and_findings(db_url)
    assert attempts == [1, 1]  # neither unit was done twice
    assert sorted(findings) == sorted(f[0] for f in finding_keys(reference))


def _hold(url: str, holder: str, beat: datetime) -> None:
    db = Database(url)
    with db.session() as s:
        s.merge(
            m.RunLease(branch_id=BRANCH, date=DAY, holder=holder, acquired_at=beat,
                       heartbeat_at=beat)
        )  # fmt: skip
    db.dispose()


def _run(site, url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(site, url), capture_output=True, text=True, env=env(), timeout=600
    )


def test_a_held_branch_day_is_skipped_and_a_stale_one_taken_over(reference_run, tmp_path):
    site, db_path, reference = reference_run
    url = f"sqlite:///{shutil.copy(db_path, tmp_path / 'copy.db')}"
    other = "elsewhere:4242:0badcafe"  # a run on another machine
    _hold(url, other, datetime.now(UTC))

    held = _run(site, url)

    assert held.returncode == 1, held.stderr[-3000:]  # it did nothing
    (line,) = [line for line in held.stderr.splitlines() if "skipped" in line]
    assert line.startswith(f"skipped {BRANCH} {DAY}: ") and line.endswith("--wait waits for it")
    assert other in line
    assert "Traceback" not in held.stderr
    doc = json.loads(held.stdout)
    assert doc["branches"] == {} and doc["skipped"][0]["holder"] == other

    _hold(url, other, datetime.now(UTC) - timedelta(minutes=3))  # it stopped beating

    taken = _run(site, url)

    assert taken.returncode == 0, taken.stderr[-3000:]
    assert finding_keys(json.loads(taken.stdout)) == finding_keys(reference)
    attempts, _ = _units_and_findings(url)
    assert attempts == [1, 1]
    db = Database(url)
    with db.session() as s:
        assert s.scalars(select(m.RunLease)).all() == []  # released at the end
    db.dispose()


def test_a_lease_taken_over_is_lost_to_its_old_holder(db_url):
    db = Database(db_url)
    first, second = Leases(db), Leases(db)
    assert first.take(BRANCH, DAY) is None
    assert second.take(BRANCH, DAY).holder == first.holder  # live: not taken
    with db.session() as s:  # the first run stops beating
        s.get(m.RunLease, (BRANCH, DAY)).heartbeat_at -= STALE * 2

    assert second.take(BRANCH, DAY) is None
    first.renew()

    assert first.lost == {(BRANCH, DAY)} and first.held == set()
    first.release(BRANCH, DAY)  # its own release leaves the new holder's lease alone
    with db.session() as s:
        assert s.get(m.RunLease, (BRANCH, DAY)).holder == second.holder
    db.dispose()


CLOSED_SITE = """\
branch: {id: RACE, timezone: Asia/Shanghai}
business_hours: {sun: ["09:00", "17:00"]}
cameras:
  - id: door
    recordings: {folder: nowhere}
    zones: [{id: p, purpose: teller_post, polygon: [[0, 0], [1, 0], [1, 1]]}]
"""
OPEN_RUN = """\
import sys, time
from datetime import date
from pathlib import Path
from pipeline.batch.units import DetectorSpec, UnitSettings, plan_branch_day
from pipeline.batch.writer import Writer
from pipeline.footage.sampler import SamplingSpec
from pipeline.store.db import Database
settings = UnitSettings(SamplingSpec(), DetectorSpec())
bd = plan_branch_day(Path(sys.argv[2]), date(2024, 5, int(sys.argv[4])), settings)
db = Database(sys.argv[1])
go = Path(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
Writer(db, settings).open_run(bd, "local")
"""


def test_runs_of_several_dates_register_one_branch_at_once(db_url, tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text(CLOSED_SITE, encoding="utf-8")
    Database(db_url).dispose()  # the schema exists: only the branch's rows race
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_RUN, db_url, str(site), str(go), str(day)],
            env=env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for day in range(6, 12)  # six dates, each its own lease
    ]
    time.sleep(4)  # every process planned and waits at the line
    go.touch()
    errors = [p.communicate(timeout=120)[1] for p in procs]

    assert [p.returncode for p in procs] == [0] * 6, errors
    db = Database(db_url)
    with db.session() as s:
        assert [b.id for b in s.scalars(select(m.Branch))] == ["RACE"]
        assert len(s.scalars(select(m.Run)).all()) == 6
    db.dispose()
