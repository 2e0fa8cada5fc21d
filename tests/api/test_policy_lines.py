"""Issue 25 point 14: the branch chart draws both policies' lines (Policy A's threshold,
Policy B's stage targets over their months), and the report states an outcome, a reward
too, as provisional while a finding of the day awaits review."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from api.chart import score_chart
from pipeline.report.build import policy_outcomes
from pipeline.store import models as m
from rules.checklist import load_checklist
from rules.policies import load_policy
from tests.support.api import running_api


def _lines(svg: str) -> dict[str, tuple[float, float, float]]:
    """Stage → (x1, x2, y) of each Policy B target line."""
    return {
        stage: (float(x1), float(x2), float(y))
        for stage, x1, x2, y in re.findall(
            r'<line class="target" data-stage="(\d)" x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)"',
            svg,
        )
    }


def test_the_chart_draws_policy_a_s_line_and_each_stage_s_target_over_its_days():
    days = [date(2026, 4, 27) + timedelta(days=i) for i in range(8)]  # April into May
    svg = str(score_chart([(d, 97.0, 96.0) for d in days], 85, load_policy("B").stages))
    assert "方案一 85 扣绩效线 Policy A 85" in svg
    assert "方案二 阶段1 目标 92 Policy B stage 1 target" in svg
    assert "方案二 阶段2 目标 95 Policy B stage 2 target" in svg
    lines = _lines(svg)
    assert set(lines) == {"1", "2"}  # stage 3 (September on) is not in these days
    assert lines["1"][1] < lines["2"][0]  # stage 1 over April's days, then stage 2 over May's
    assert lines["2"][2] < lines["1"][2]  # 95 drawn above 92 (SVG y grows downwards)


def test_a_single_day_still_shows_its_stage_target():
    svg = str(score_chart([(date(2026, 11, 3), 99.0, 98.0)], 85, load_policy("B").stages))
    ((x1, x2, _),) = _lines(svg).values()
    assert x2 - x1 >= 24 and "阶段3 目标 98" in svg


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def test_the_branch_page_chart_carries_the_stage_target(api):
    page = api.get("branch", f"/branches/{api.own}").text
    assert "Policy B stage 3 target" in page and "Policy A 85" in page


def _checks(scores: dict[str, float]) -> tuple[list[m.CheckScore], dict[str, m.Branch]]:
    now = datetime.now(UTC)
    branches = {
        b: m.Branch(id=b, name=b, region="r", timezone="Asia/Shanghai", updated_at=now)
        for b in scores
    }
    checks = [
        m.CheckScore(branch_id=b, date=date(2026, 11, 3), provisional=s, final=s, coverage=1.0,
                     findings={}, updated_at=now)
        for b, s in scores.items()
    ]  # fmt: skip
    return checks, branches


def test_the_report_states_a_reward_as_provisional_while_findings_await_review():
    checks, branches = _checks({"B1": 100.0, "B2": 99.0, "B3": 80.0})
    checklist = load_checklist()
    settled = policy_outcomes(checks, branches, checklist)
    assert any("奖励 reward" in text for text in settled["B1"].values())
    assert not any("暂定" in text for doc in settled.values() for text in doc.values())
    waiting = policy_outcomes(checks, branches, checklist, {"B1": 2})
    for policy, text in waiting["B1"].items():
        assert text.startswith("暂定 provisional — 2 条发现待复核"), policy
        assert "2 finding(s) still await review" in text
    assert waiting["B2"] == settled["B2"]  # a branch with nothing pending states its outcome
