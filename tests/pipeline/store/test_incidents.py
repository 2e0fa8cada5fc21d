"""One incident, one deduction: a re-run's finding that overlaps a held one (reviewed,
appealed or cited by an order) is that incident again (pipeline/store/findings.py); a
finding an order cites is never dropped; a failed judgement finishes its run `failed`."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import select

from cli.run import _document, _print_summary
from pipeline.batch import night as night_module
from pipeline.batch.executors import LocalExecutor
from pipeline.batch.night import Night
from pipeline.batch.units import DetectorSpec, UnitSettings, plan_branch_day
from pipeline.footage.sampler import SamplingSpec
from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.findings import save_judgement
from pipeline.store.fines import fines_of
from pipeline.store.scores import recompute_scores
from rules.calendar import BusinessDay
from rules.checklist import load_checklist
from rules.findings import Finding
from rules.policies import load_policy
from rules.temporal import DayJudgement

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 3, 1, tzinfo=UTC)
CHECKLIST = load_checklist()
CHECKLIST_FILE = Path(__file__).resolve().parents[2] / "data" / "checklists" / "short-absence.yaml"
FINES = load_policy("B").fines


def _at(h: int, mi: int, s: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, h, mi, s, tzinfo=TZ)


def _absence(minute: int, **changes) -> Finding:
    """A teller's absence of 6 min 9 s from 09:`minute`:25 on post-1 of cam-1."""
    start = _at(9, minute, 25)
    f = Finding("TELLER_ABSENT", "B1", ("cam-1",), "post-1", start,
                start + timedelta(minutes=6, seconds=9), 0.9)  # fmt: skip
    return replace(f, **changes, id="") if changes else f


def _judgement(findings) -> DayJudgement:
    day = BusinessDay(DAY, _at(9, 0), _at(17, 0))
    return DayJudgement("B1", day, tuple(findings), (), {"cam-1": 1.0})


def _db(url: str) -> Database:
    db = Database(url)
    with db.session() as s:
        s.add(m.Branch(id="B1", name="b", region="r", timezone=str(TZ), updated_at=NOW))
        s.flush()
        s.add_all(m.Run(id=n, branch_id="B1", date=DAY, started_at=NOW, status="done")
                  for n in (1, 2))  # fmt: skip
    return db


def _save(db: Database, findings, run_id: int):
    return save_judgement(db, "B1", DAY, _judgement(findings), CHECKLIST, run_id, "v", 1.0)


def _confirm_all(db: Database) -> None:
    with db.session() as s:
        for row in s.scalars(select(m.Finding)):
            row.status = "confirmed"
            s.add(m.Review(finding_id=row.id, decision="confirm", reviewer="sup", at=NOW))
        s.flush()
        recompute_scores(s, "B1", DAY, CHECKLIST)


def _cost(db: Database) -> tuple[int, float, float]:
    """Rows, the check's final score, and the yuan their fines come to."""
    with db.session() as s:
        rows = list(s.scalars(select(m.Finding)))
        fined = fines_of(s, rows, CHECKLIST, FINES)
        final = s.get(m.CheckScore, ("B1", DAY)).final
        return len(rows), final, sum(f.yuan for f in fined.values())


FIRST = [_absence(1), _absence(20), _absence(40)]
SHIFT = timedelta(seconds=1)

# (what the re-run found instead of FIRST's last absence, is it that incident again)
RERUNS = [
    ("one second later", _absence(40, start=_absence(40).start + SHIFT), True),
    (
        "earlier and shorter",
        _absence(40, start=_absence(40).start - SHIFT, end=_absence(40).end - timedelta(minutes=2)),
        True,
    ),
    ("starts inside", _absence(40, start=_absence(40).start + timedelta(minutes=3)), True),
    ("another zone", _absence(40, zone="post-2", start=_absence(40).start + SHIFT), False),
    ("another camera", _absence(40, cameras=("cam-2",), start=_absence(40).start + SHIFT), False),
    ("another item", _absence(40, item="PHONE_USE", start=_absence(40).start + SHIFT), False),
    ("after it", _absence(50), False),
]


@pytest.mark.parametrize(("case", "again", "same"), RERUNS, ids=[r[0] for r in RERUNS])
def test_a_rerun_never_counts_a_reviewed_incident_twice(db_url, case, again, same):
    db = _db(db_url)
    _save(db, FIRST, 1)
    _confirm_all(db)
    before = _cost(db)

    saved = _save(db, [*FIRST[:2], again], 2)

    rows, final, yuan = _cost(db)
    held = FIRST[2].id
    with db.session() as s:
        kept = s.get(m.Finding, held)
        assert kept.status == "confirmed" and len(kept.reviews) == 1
        if same:
            assert (rows, final, yuan) == before  # no second deduction, no second fine
            assert saved.rows[again.id] == held
            assert s.get(m.Finding, again.id) is None
            assert kept.redetected == [{
                "start": again.start.isoformat(), "end": again.end.isoformat(),
                "run_id": 2, "detector_version": "v",
            }]  # fmt: skip
        else:
            assert rows == before[0] + 1 and saved.rows[again.id] == again.id
            assert s.get(m.Finding, again.id).status == "pending"
            assert kept.redetected is None
    db.dispose()


def test_a_redetection_is_forgotten_once_the_incident_is_found_as_it_was(db_url):
    db = _db(db_url)
    _save(db, FIRST, 1)
    _confirm_all(db)
    _save(db, [*FIRST[:2], _absence(40, start=FIRST[2].start + SHIFT)], 2)
    _save(db, FIRST, 2)
    with db.session() as s:
        assert all(r.redetected is None for r in s.scalars(select(m.Finding)))
        assert len(s.scalars(select(m.Finding)).all()) == 3
    db.dispose()


def test_a_pending_near_copy_is_replaced_not_kept_beside(db_url):
    """Nobody acted on the first: the re-run's finding replaces it."""
    db = _db(db_url)
    _save(db, FIRST, 1)
    again = _absence(40, start=FIRST[2].start + SHIFT)
    _save(db, [*FIRST[:2], again], 2)
    with db.session() as s:
        assert {r.id for r in s.scalars(select(m.Finding))} == {FIRST[0].id, FIRST[1].id, again.id}
    db.dispose()


def test_a_finding_an_order_cites_is_kept_and_is_its_incident(db_url):
    """Issue 22 row 4: an order citing a pending finding the re-run no longer produces
    made the re-run fail with a foreign-key error on every try."""
    db = _db(db_url)
    _save(db, FIRST, 1)
    with db.session() as s:
        s.add(m.RectificationOrder(
            branch_id="B1", item="TELLER_ABSENT", note="fix it", finding_id=FIRST[2].id,
            ordered_by="sup", ordered_at=NOW,
        ))  # fmt: skip

    _save(db, FIRST[:2], 2)  # gone from the footage
    again = _absence(40, start=FIRST[2].start + SHIFT)
    _save(db, [*FIRST[:2], again], 2)  # and back, a second later

    with db.session() as s:
        ids = {r.id for r in s.scalars(select(m.Finding))}
        assert ids == {f.id for f in FIRST}
        assert s.get(m.CheckScore, ("B1", DAY)).findings == {"TELLER_ABSENT": 3}
    db.dispose()


CLOSED_SITE = """\
branch: {id: %s, name: n, region: r, timezone: Asia/Shanghai}
business_hours: {mon-fri: ["09:00", "17:00"]}
cameras:
  - id: cam-1
    role: counter
    recordings: {folder: rec, pattern: "cam_%%Y%%m%%d_%%H%%M%%S.mp4"}
    zones:
      - {id: post-1, purpose: teller_post, polygon: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]}
"""
SUNDAY = date(2026, 11, 8)


def _night(tmp_path, db: Database, branches: list[str]):
    settings = UnitSettings(SamplingSpec(), DetectorSpec())
    days = []
    for branch in branches:
        path = tmp_path / f"{branch}.yaml"
        path.write_text(CLOSED_SITE % branch, encoding="utf-8")
        days.append(plan_branch_day(path, SUNDAY, settings))
    return Night(db, settings, CHECKLIST, None, LocalExecutor(1)), days


def _statuses(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {r.branch_id: r.status for r in s.scalars(select(m.Run))}


def test_a_failed_judgement_finishes_its_run_failed_and_the_night_goes_on(
    db_url, tmp_path, monkeypatch
):
    real = night_module.judge_branch_day

    def judge(db, bd, *args, **kwargs):
        if bd.branch == "BAD":
            raise OSError(28, "No space left on device")
        return real(db, bd, *args, **kwargs)

    monkeypatch.setattr(night_module, "judge_branch_day", judge)
    db = Database(db_url)
    night, days = _night(tmp_path, db, ["BAD", "GOOD"])
    report = night.run(days, SUNDAY)
    assert _statuses(db) == {"BAD": "failed", "GOOD": "closed"}
    with db.session() as s:  # its calendar kept with it, for the missing days
        assert s.get(m.Branch, "GOOD").hours == {str(d): ["09:00", "17:00"] for d in range(5)}
    (failed,) = report.failed  # one line for it; no coverage or score it has not
    assert failed.branch == "BAD" and "No space left" in failed.reason
    assert "BAD" not in report.reports and report.exit_status == 1
    shown = io.StringIO()
    _print_summary(Console(file=shown, width=200), report, _document(report))
    assert "GOOD" in shown.getvalue() and "BAD" not in shown.getvalue()
    db.dispose()


def test_a_night_that_stops_leaves_no_run_row_running(db_url, tmp_path, monkeypatch):
    def judge(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(night_module, "judge_branch_day", judge)
    db = Database(db_url)
    night, days = _night(tmp_path, db, ["ONE"])
    with pytest.raises(KeyboardInterrupt):
        night.run(days, SUNDAY)
    assert _statuses(db) == {"ONE": "interrupted"}
    db.dispose()


def test_the_issues_night_a_rerun_at_another_rate_fines_each_absence_once(reference_run, tmp_path):
    """Issue 22 row 1 on the real clip: the 12 absences confirmed, the date re-run at two
    samples a second (its units redone): 16 TELLER_ABSENT and 15,400 yuan before, the
    near-copies now re-detections of the confirmed incidents."""
    from tests.support.run_site import BRANCH, DAY, run_cli

    site, path, _ = reference_run
    short = load_checklist(CHECKLIST_FILE)  # the checklist the test branch runs with
    shutil.copy(path, tmp_path / "copy.db")
    db = Database(f"sqlite:///{tmp_path / 'copy.db'}")
    with db.session() as s:
        for row in s.scalars(select(m.Finding)):
            row.status = "confirmed"
            s.add(m.Review(finding_id=row.id, decision="confirm", reviewer="sup", at=NOW))
        s.flush()
        recompute_scores(s, BRANCH, DAY, short)

    def cost() -> tuple[int, float, float]:
        with db.session() as s:
            rows = list(s.scalars(select(m.Finding)))
            fined = fines_of(s, rows, short, FINES)
            check = s.get(m.CheckScore, (BRANCH, DAY))
            return len(rows), check.final, sum(f.yuan for f in fined.values())

    before = cost()
    assert before[0] == 12

    doc = run_cli(site, f"sqlite:///{tmp_path / 'copy.db'}", "--rate", "2")

    assert cost() == before
    with db.session() as s:
        rows = list(s.scalars(select(m.Finding)))
        assert all(r.status == "confirmed" and len(r.reviews) == 1 for r in rows)
        again = [r for r in rows if r.redetected]
        assert again  # the new rate moved some edges: those incidents were found again
    reported = [f["id"] for f in doc["branches"][BRANCH]["findings"]]
    assert len(reported) == len(set(reported)) and set(reported) <= {r.id for r in rows}
    db.dispose()
