"""What counts, as the API and the clerk's files show it (issue 22 rows 1, 5 and 9): a
re-detected incident beside its reviewed finding, never a second one; a business day
without a complete check as a missing day that keeps its branch out of the ranks; no
score where nothing was seen."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.findings import save_judgement
from pipeline.store.scores import to_rule_finding
from rules.calendar import BusinessDay
from rules.checklist import load_checklist
from rules.temporal import DayJudgement
from tests.support.api import DAYS, running_api

QUERY = "policy=A&period=2026-11"
WEEKDAYS = {str(d): ["09:00", "17:00"] for d in range(5)}


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def test_a_rerun_shows_a_reviewed_incident_as_re_detected_not_twice(api):
    branch, day = "JS-HA-001", DAYS[1]
    held = api.finding(branch, "confirmed", "LOBBY_MANAGER_ABSENT")
    with api.db.session() as s:
        s.add(m.Run(id=7, branch_id=branch, date=day, started_at=datetime.now(UTC),
                    status="done"))  # fmt: skip
        rows = s.scalars(select(m.Finding).where(m.Finding.branch_id == branch,
                                                 m.Finding.date == day)).all()  # fmt: skip
        findings = [to_rule_finding(r) for r in rows]
        before = s.get(m.CheckScore, (branch, day)).findings
    again = [
        replace(f, start=f.start + timedelta(seconds=1), id="") if f.id == held else f
        for f in findings
    ]
    opening = datetime.combine(day, datetime.min.time(), UTC)
    judgement = DayJudgement(
        branch, BusinessDay(day, opening, opening + timedelta(hours=23)), tuple(again), (), {}
    )
    save_judgement(api.db, branch, day, judgement, load_checklist(), 7, "v2", 0.96)

    detail = api.get("supervisor", f"/api/v1/findings/{held}").json()
    assert detail["status"] == "confirmed"
    (seen,) = detail["redetected"]
    assert seen["run_id"] == 7 and seen["detector_version"] == "v2"
    assert seen["local_time"].startswith(f"{day} 11:20:01–11:35:00")  # branch time
    checks = api.get("admin", f"/api/v1/checks?branch={branch}&from={day}&to={day}").json()
    assert [c["findings"] for c in checks] == [before]


def _calendar_and_a_lost_day(api, branch: str) -> None:
    """Every branch open Monday to Friday; `branch`'s check of the middle day is gone (its
    site file broke that night)."""
    with api.db.session() as s:
        for b in s.scalars(select(m.Branch)):
            b.hours = WEEKDAYS
        s.delete(s.get(m.CheckScore, (branch, DAYS[1])))


def test_a_missing_business_day_keeps_the_branch_out_of_ranks_and_rewards(api):
    _calendar_and_a_lost_day(api, api.own)
    report = api.get("admin", f"/api/v1/assessments?{QUERY}").json()
    by = {r["branch"]: r for r in report["branches"]}
    own = by[api.own]
    assert (own["missing_days"], own["rank"], own["outcome"], own["yuan"]) == (
        1, None, "incomplete", 0.0,
    )  # fmt: skip
    assert own["checks"] == 2 and own["coverage"] == 0.96  # what was seen, shown
    others = [r for b, r in by.items() if b != api.own]
    assert all(r["missing_days"] == 0 and r["rank"] for r in others)
    assert len(others) == 3 and {r["rank"] for r in others} <= {1, 2, 3}  # ranked among them


def test_exports_show_missing_days_beside_coverage_and_no_score_where_nothing_was_seen(api):
    _calendar_and_a_lost_day(api, api.own)
    with api.db.session() as s:
        for check in s.scalars(select(m.CheckScore).where(m.CheckScore.branch_id == api.other)):
            check.coverage = 0.0  # its camera folder was empty
    response = api.get("admin", f"/api/v1/assessments.csv?{QUERY}")
    assert response.status_code == 200
    _, header, *body = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    fields = [h.split()[-1] for h in header]
    assert fields.index("missing_days") == fields.index("coverage") + 1
    assert "缺失营业日 missing_days" in header
    rows = {r[fields.index("branch")]: dict(zip(fields, r, strict=True)) for r in body}
    blind = rows[api.other]
    assert (blind["score"], blind["coverage"], blind["missing_days"]) == ("", "0.0", "3")
    assert blind["outcome"] == "录像不全 incomplete"
    assert rows[api.own]["missing_days"] == "1" and rows[api.own]["rank"] == ""
    page = api.get("admin", f"/assessments?{QUERY}")
    assert page.status_code == 200
    assert "缺 3 天 3 day(s) missing" in page.text and "缺 1 天 1 day(s) missing" in page.text
    blind_row = page.text[page.text.index(f'href="/branches/{api.other}"') :].split("</tr>")[0]
    assert 'data-field="score">–</td>' in blind_row  # no score where nothing was seen
    assert 'data-field="missing_days"><span class="badge pending">缺 3 天' in blind_row
