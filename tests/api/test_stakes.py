"""One answer to "does this finding count double, and what does it cost" (issue 24 part 2):
the finding page's JSON, the queue, the branch page, the weekly notice, the assessments
and their export, and the stored score all read pipeline/store/fines.stakes_of, and what
they show before a decision is what the decision does.

The supervisor's trial that found them apart: a lobby-manager finding listed at 2 points
moved the day's score 100 → 96 (the item was confirmed the day before: a repeat), and its
1,000-yuan repeat fine appeared only once it was confirmed.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pipeline.report.notice import build_notice
from pipeline.store import models as m
from pipeline.store.scores import recompute_scores
from rules.checklist import load_checklist
from rules.findings import finding_id
from rules.policies import load_policy
from tests.support.api import DAYS, TZ, running_api

ITEM = "LOBBY_MANAGER_ABSENT"  # 2 points; Policy B: 200 yuan a point, 500 for a repeat


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _second_absence(api) -> str:
    """A pending lobby-manager absence on the day after the fixture's confirmed one."""
    day = DAYS[2]
    start = datetime.combine(day, datetime.min.time(), ZoneInfo(TZ)) + timedelta(hours=10)
    fid = finding_id(api.own, ITEM, "lobby_manager", start)
    now = datetime.now(UTC)
    with api.db.session() as s:
        assert s.scalars(
            select(m.Finding.date).where(
                m.Finding.branch_id == api.own, m.Finding.item == ITEM,
                m.Finding.status == "confirmed",
            )
        ).all() == [DAYS[1]]  # fmt: skip
        s.add(m.Finding(
            id=fid, branch_id=api.own, date=day, item=ITEM, zone="lobby_manager",
            cameras=["lobby-1"], start=start, end=start + timedelta(minutes=12),
            duration_s=720, confidence=0.9, support=[], status="pending",
            detector_version="fixture", created_at=now, updated_at=now,
        ))  # fmt: skip
        s.flush()
        recompute_scores(s, api.own, day, load_checklist())
    return fid


def _final(api) -> float:
    with api.db.session() as s:
        return s.get(m.CheckScore, (api.own, DAYS[2])).final


def _everywhere(api, fid: str) -> dict[str, tuple]:
    """(points, counts double, yuan) as each place shows the finding."""
    detail = api.get("supervisor", f"/api/v1/findings/{fid}").json()
    status = detail["status"]
    queue = api.get("supervisor", f"/api/v1/findings?branch={api.own}&status={status}").json()
    [listed] = [f for f in queue["items"] if f["id"] == fid]
    page = api.get("supervisor", f"/branches/{api.own}").text
    row = page[page.index(f'id="finding-{fid}"') :]
    row = row[: row.index("</tr>")]
    shown = {
        "finding page": (detail["points"], detail["counts_double"], detail["stake_yuan"]),
        "queue": (listed["points"], listed["counts_double"], listed["stake_yuan"]),
        "branch page": (
            detail["points"],
            detail["counts_double"] if detail["counts_double"] in row else "(not shown)",
            detail["stake_yuan"],
        ),
    }
    if status == "confirmed":
        shown["fine"] = (detail["points"], detail["counts_double"], detail["fine_yuan"])
        with api.db.session() as s:
            branch = s.get(m.Branch, api.own)
            notice = build_notice(
                s, branch, "2026-W45", load_checklist(), load_policy("B").fines, api.evidence
            )
        [entry] = [f for f in notice.findings if f.id == fid]
        shown["notice"] = (
            entry.points,
            detail["counts_double"] if entry.repeat else "",
            entry.fine_yuan,
        )
    return shown


def test_every_place_shows_the_repeat_and_its_cost_before_and_after_the_decision(api):
    fid = _second_absence(api)
    before = _everywhere(api, fid)
    assert len(set(before.values())) == 1, before  # one answer
    points, why, yuan = before["finding page"]
    assert (points, yuan) == (4, 1000)  # 2 points doubled; 2 × 500 yuan
    assert "confirmed earlier this month" in why
    score = _final(api)

    decided = api.post("supervisor", f"/api/v1/findings/{fid}/review", json={"decision": "confirm"})
    assert decided.status_code == 200, decided.text
    assert score - _final(api) == points  # what it said the decision would do
    after = _everywhere(api, fid)
    assert len(set(after.values())) == 1, after
    assert after["finding page"] == before["finding page"]
    detail = api.get("supervisor", f"/api/v1/findings/{fid}").json()
    assert detail["fine_rule"] == "LOBBY_MANAGER_ABSENT: repeat, 2 point(s) × 500 yuan = 1000 yuan"

    # the assessment and its export add the same fine to the day before's 400
    report = api.get("admin", "/api/v1/assessments?policy=B&period=2026-S3").json()
    assert {r["branch"]: r["incident_yuan"] for r in report["branches"]}[api.own] == 400 + 1000
    rows = list(
        csv.reader(
            io.StringIO(api.get("admin", "/api/v1/assessments.csv?policy=B&period=2026-S3").text)
        )
    )
    header = rows[1]
    [own] = [r for r in rows[2:] if api.own in r]
    assert float(own[header.index("罚款(元) incident_yuan")]) == 1400
