"""A period's assessment as rows: each branch's mean score, ranks and policy outcome, with
the arithmetic. The one computation behind the API, `branch-audit assess` and the report.

Unknown is not perfect: a check whose coverage is below the checklist's `min_coverage` is
incomplete. It keeps its findings, but it is left out of the period means, the ranks, the
rewards and the commendations.

Missing days count: a business day of the branch's calendar (from its first night to the
province's last checked day of the period) without a complete check is *missing*. A
branch with a missing day is shown as `incomplete` with how many (`missing_days`), never
ranked, rewarded or assessed on the days that happen to exist; with no complete check at
all it has no score either (nothing was seen). Without calendars (a CSV of scores), the
days it has only incomplete checks of are its missing days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from rules.calendar import open_days
from rules.checklist import covers
from rules.periods import Period, check_scores, resolve_period
from rules.policies import Policy

INCOMPLETE = "incomplete"
#: what each outcome code (rules/policies.py, and INCOMPLETE) is called on pages and exports
OUTCOME_NAMES: dict[str, str] = {
    "reward": "奖励 reward",
    "commendation": "表彰 commendation",
    "none": "无奖惩 none",
    "exempt": "免于考核 exempt",
    "deduct": "扣减绩效 deduct",
    "deduct_heavy": "加重扣减绩效 deduct_heavy",
    "penalty": "罚款 penalty",
    INCOMPLETE: "录像不全 incomplete",
}


class AssessmentRow(BaseModel):
    """One branch's assessment; the API serves it as it is (its `name` filled in there)."""

    model_config = ConfigDict(frozen=True)

    branch: str
    name: str = Field("", description="the branch's name (the scores do not carry it)")
    region: str
    score: float | None = Field(
        description="mean of the complete checks' final scores; none without a complete check"
    )
    checks: int = Field(description="complete checks in the period: the ones that count")
    incomplete_checks: int = Field(0, description="checks below the minimum coverage")
    coverage: float | None = Field(None, description="mean coverage of the period's checks")
    missing_days: int = Field(
        0, description="business days of the branch's calendar in the period without a "
        "complete check (缺失营业日): any, and the branch is not ranked, rewarded or assessed",
    )  # fmt: skip
    score_arithmetic: str
    rank: int | None = Field(description="among branches without a missing day; none if not")
    region_rank: int | None
    outcome: str
    yuan: float = Field(description="negative: the branch pays; positive: it is rewarded")
    rule: str
    recheck: bool
    incident_yuan: float = Field(
        0.0, description="the fines of the branch's confirmed findings in the period "
        "(rules/fines.py), paid beside `yuan`",
    )  # fmt: skip
    pending: int = Field(
        0, description="the branch's findings in the period still awaiting review: each "
        "may yet lower its final scores, so the outcome is provisional while any is",
    )  # fmt: skip


@dataclass(frozen=True)
class BranchCalendar:
    """A branch as its calendar sees it: the days a complete check is expected of."""

    region: str
    #: weekday (Monday = 0, as text) → [opening, closing] (rules/calendar.weekly_hours)
    hours: Mapping[str, object]
    #: its first night: no day before it is missing
    since: date | None = None


def missing_days(
    in_period: pd.DataFrame, calendars: Mapping[str, BranchCalendar]
) -> dict[str, int]:
    """Branch → its business days without a complete check, between the first and last
    day any branch was checked in the period. `in_period` has columns branch, date,
    complete."""
    first, last = min(in_period["date"]), max(in_period["date"])
    done = in_period[in_period["complete"]].groupby("branch")["date"].agg(set)
    out = {}
    for branch in sorted({*in_period["branch"], *calendars}):
        calendar = calendars.get(branch)
        if calendar is None:
            expected = set(in_period.loc[in_period["branch"] == branch, "date"])
        else:
            since = max(first, calendar.since) if calendar.since else first
            expected = set(open_days(calendar.hours, since, last))
        out[branch] = len(expected - done.get(branch, set()))
    return out


def assessment_rows(
    scores: pd.DataFrame,
    policy: Policy,
    label: str | None,
    min_coverage: float = 0.0,
    calendars: Mapping[str, BranchCalendar] | None = None,
) -> tuple[Period | None, list[AssessmentRow]]:
    """The period `label` names (default: the stage of the dates, else all of them) and
    one row per branch with checks in it or a calendar, ranked branches first. `scores`
    may carry a `coverage` column (0..1); checks below `min_coverage` do not count, and
    a branch with a missing day (`missing_days`) is not assessed. No scores: (None, []);
    a period without scores: (period, []). Raises PeriodError for a period the policy
    cannot judge."""
    if scores.empty:
        return None, []
    calendars = calendars or {}
    coverage = (
        pd.to_numeric(scores["coverage"]) if "coverage" in scores.columns else None
    )  # fmt: skip
    checked = check_scores(scores)
    checked["coverage"] = coverage.to_numpy() if coverage is not None else float("nan")
    checked["complete"] = [
        True if pd.isna(c) else covers(float(c), min_coverage) for c in checked["coverage"]
    ]
    period = resolve_period(list(checked["date"]), label, policy.stage_months)
    in_period = checked[[period.contains(d) for d in checked["date"]]]
    if in_period.empty:
        return period, []
    missing = missing_days(in_period, calendars)
    whole = {b for b, n in missing.items() if n == 0}
    counted = in_period[in_period["complete"] & in_period["branch"].isin(whole)]
    rows = []
    if not counted.empty:
        judged = checked[checked["complete"] & checked["branch"].isin(whole)]
        table, outcomes = policy.assess(judged, period)
        sums = counted.groupby("branch")["score"].sum()
        for branch, row in table.iterrows():
            n, outcome = int(row["checks"]), outcomes[branch]
            mine = in_period[in_period["branch"] == branch]
            rows.append(
                AssessmentRow(
                    branch=str(branch),
                    region=row["region"],
                    score=float(row["score"]),
                    checks=n,
                    incomplete_checks=int((~mine["complete"]).sum()),
                    coverage=_mean(mine["coverage"]),
                    score_arithmetic=(
                        f"mean of {n} final check score(s): {sums[branch]:g} / {n} = "
                        f"{row['score']:g}" + _left_out(mine, min_coverage)
                    ),
                    rank=int(row["rank"]),
                    region_rank=int(row["region_rank"]),
                    outcome=outcome.code,
                    yuan=outcome.yuan,
                    rule=outcome.rule,
                    recheck=outcome.recheck,
                )
            )
    ranked = {r.branch for r in rows}
    for branch in sorted(set(missing) - ranked):
        mine = in_period[in_period["branch"] == branch]
        if len(mine) or missing[branch]:  # not one that joined after the period
            rows.append(_unassessed(branch, mine, missing[branch], calendars, min_coverage))
    return period, rows


def _unassessed(
    branch: str,
    mine: pd.DataFrame,
    missing: int,
    calendars: Mapping[str, BranchCalendar],
    min_coverage: float,
) -> AssessmentRow:
    """A branch with a missing day: shown, with its days and coverage, never assessed."""
    complete = mine[mine["complete"]]
    n, cov = len(complete), _mean(mine["coverage"])
    score = round(float(complete["score"].mean()), 2) if n else None
    seen = (
        f"mean of {n} complete check(s) {score:g}, not assessed"
        if n
        else f"no complete check: {len(mine)} below the minimum coverage"
    )
    zh, en = [], []
    if missing:
        zh.append(f"{missing} 个营业日没有完整检查（缺失营业日）")
        en.append(f"{missing} business day(s) without a complete check")
    if cov is not None and not covers(cov, min_coverage):
        zh.append(f"录像覆盖率 {cov:.0%} < {min_coverage:.0%}（监控录像不全）")
        en.append(f"coverage {cov:.0%} < {min_coverage:.0%}")
    return AssessmentRow(
        branch=branch,
        region=mine["region"].iloc[0] if len(mine) else calendars[branch].region,
        score=score,
        checks=n,
        incomplete_checks=len(mine) - n,
        coverage=cov,
        missing_days=missing,
        score_arithmetic=seen,
        rank=None,
        region_rank=None,
        outcome=INCOMPLETE,
        yuan=0.0,
        rule="；".join(zh) + "：本期每个营业日都有完整检查前不排名、不奖励、不考核 · "
        + "; ".join(en) + ": not ranked, rewarded or assessed until every business day of "
        "the period is seen",
        recheck=True,
    )


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return round(float(values.mean()), 4) if len(values) else None


def _left_out(mine: pd.DataFrame, min_coverage: float) -> str:
    n = int((~mine["complete"]).sum())
    return f"; {n} incomplete check(s) (coverage < {min_coverage:.0%}) left out" if n else ""
