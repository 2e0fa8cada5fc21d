"""A run killed with SIGKILL mid-night loses no finished unit, and the next run finishes
only what is left, ending with the findings of an uninterrupted run."""

import os
import signal
import sqlite3
import subprocess
import time

from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.run_site import command, env, finding_keys, run_cli


def _done_units(db_path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("SELECT count(*) FROM work_units WHERE status = 'done'").fetchone()[
                0
            ]
    except sqlite3.OperationalError:  # not created or not migrated yet
        return 0


def test_kill_then_resume_gives_the_uninterrupted_findings(reference_run, tmp_path):
    site, _, uninterrupted = reference_run
    db_path = tmp_path / "killed.db"
    url = f"sqlite:///{db_path}"
    proc = subprocess.Popen(
        command(site, url, "--workers", "1"),
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its worker processes die with it
    )
    try:
        while _done_units(db_path) == 0:
            assert proc.poll() is None, "the run ended before any unit was stored"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    db = Database(url)
    with db.session() as s:
        units = s.scalars(select(m.WorkUnit)).all()
        assert [u.status for u in units] == ["done"]  # one of the two files, whole
        assert s.scalars(select(m.Run.status)).all() == ["running"]  # cut mid-run
        assert s.scalars(select(m.Finding)).all() == []

    resumed = run_cli(site, url)

    assert finding_keys(resumed) == finding_keys(uninterrupted)
    with db.session() as s:
        units = s.scalars(select(m.WorkUnit)).all()
        assert [(u.status, u.attempts) for u in units] == [("done", 1)] * 2  # none redone
        runs = s.scalars(select(m.Run.status).order_by(m.Run.id)).all()
        assert runs == ["interrupted", "done"]
    db.dispose()
