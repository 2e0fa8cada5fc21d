"""The README's first command, `make demo`, run for real into a temporary folder: its
summary and its report must exist and say what the database says."""

import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database
from tests.conftest import FOOTAGE, REPO

DEMO_DATE = date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if not FOOTAGE.is_dir():
        pytest.skip(f"real footage not found at {FOOTAGE}")
    out = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        ["make", "--no-print-directory", "demo", f"DEMO_OUT={out}", f"FOOTAGE={FOOTAGE}"],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out, done.stdout


def test_summary_and_report_agree_with_the_database(demo):
    out, stdout = demo
    db = Database(f"sqlite:///{out / 'branch_audit.db'}")
    with db.session() as s:
        check = s.get(m.CheckScore, ("DEMO-001", DEMO_DATE))
        findings = s.scalars(select(m.Finding).where(m.Finding.branch_id == "DEMO-001")).all()
    db.dispose()
    # What a person sees in the demo day: the teller away 09:07-09:13, bottles on the
    # counter before and after the NVR's 09:16-09:18 restart, nobody at the manager's desk.
    items = sorted(f.item for f in findings)
    assert items == ["COUNTER_CLUTTER", "COUNTER_CLUTTER", "LOBBY_MANAGER_ABSENT", "TELLER_ABSENT"]
    absence = next(f for f in findings if f.item == "TELLER_ABSENT")
    assert abs(absence.duration_s - 360) < 60
    assert all((out / "evidence" / f.clip).is_file() for f in findings)
    summary = re.search(r"DEMO-001\s*│\s*([\d.]+)%\s*│.*?│\s*([\d.]+)\s*│", stdout)
    assert summary, stdout
    assert float(summary.group(1)) == pytest.approx(100 * check.coverage, abs=0.05)
    assert float(summary.group(2)) == pytest.approx(check.provisional)
    # clutter 1 point, its repeat the same day doubled to 2; absences 2 points each
    assert check.provisional == 100 - (1 + 2) - 2 - 2
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"{check.provisional:.1f}" in report and "<svg" in report
    for f in findings:
        assert f.item in report
    assert report.count('class="kf"') == len(findings)  # every finding shows its key frame
    assert "branch-audit serve" in stdout  # and says how to open the review page


def test_readme_names_the_two_commands():
    head = (REPO / "README.md").read_text(encoding="utf-8")[:1500]
    assert "make demo" in head and "make test" in head
    assert (Path(REPO) / "Makefile").read_text().count("demo:") == 1
