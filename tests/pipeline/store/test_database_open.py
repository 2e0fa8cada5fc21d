"""A database that cannot be opened is one line and exit status 2 for every command that
takes --db, and many processes opening a fresh database at once create its schema once."""

import subprocess
import sys
import time
from datetime import date

import pytest
from sqlalchemy import inspect

from cli import main as cli
from pipeline.store.db import Database
from tests.support.run_site import env

UNREACHABLE = ("sqlite:////nonexistent/dir/x.db", "postgresql://nobody@127.0.0.1:1/x")
# a day the site is closed: `run` plans nothing before it opens the database
CLOSED = """\
branch: {id: SHUT, timezone: Asia/Shanghai}
business_hours: {sun: ["09:00", "17:00"]}
cameras:
  - id: door
    recordings: {folder: nowhere}
    zones: [{id: p, purpose: teller_post, polygon: [[0, 0], [1, 0], [1, 1]]}]
"""


def _args(command: str, url: str, tmp_path) -> list[str]:
    site = tmp_path / "site.yaml"
    site.write_text(CLOSED, encoding="utf-8")
    day = date(2024, 5, 6).isoformat()
    return {
        "run": ["run", "--site", str(site), "--date", day, "--db", url, "--no-evidence"],
        "serve": ["serve", "--db", url, "--evidence", str(tmp_path)],
        "report": ["report", "--date", day, "--db", url, "--out", str(tmp_path / "r.html")],
        "token": ["token", "create", "--role", "admin", "--db", url],
    }[command]


@pytest.mark.parametrize("url", UNREACHABLE)
@pytest.mark.parametrize("command", ["run", "serve", "report", "token"])
def test_an_unopenable_database_is_one_line_and_status_2(command, url, tmp_path, capsys):
    status = cli.main(_args(command, url, tmp_path))

    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"branch-audit {command}: error: cannot open database ")
    assert url.split("://")[0] in err[0] and "Traceback" not in err[0]


MIGRATE = """\
import sys, time
from pathlib import Path
from pipeline.store.db import Database
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
Database(sys.argv[1]).dispose()
"""


def test_many_processes_create_a_fresh_schema_once(db_url, tmp_path):
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, db_url, str(go)],
            env=env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(3)  # every process imported and waits at the line
    go.touch()
    errors = [p.communicate(timeout=120)[1] for p in procs]

    assert [p.returncode for p in procs] == [0] * 4, errors
    db = Database(db_url)
    assert "work_units" in inspect(db.engine).get_table_names()
    db.dispose()
