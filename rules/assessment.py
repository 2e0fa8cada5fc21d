"""A period's assessment as rows: each branch's mean score, ranks and policy outcome, with
the arithmetic. The one computation behind the API, `branch-audit assess` and the report.

Unknown is not perfect: a check whose coverage is below the checklist's `min_coverage` is
incomplete. It keeps its findings, but it is left out of the period means, the ranks, the
rewards and the commendations; a branch with no complete check in the period is shown as
`incomplete` (with its coverage), never rewarded.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

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
    score: float
    checks: int = Field(description="complete checks in the period: the ones that count")
    incomplete_checks: int = Field(0, description="checks below the minimum coverage")
    coverage: float | None = Field(None, description="mean coverage of the period's checks")
    score_arithmetic: str
    rank: int | None = Field(description="among branches with complete checks; none if none")
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


def assessment_rows(
    scores: pd.DataFrame, policy: Policy, label: str | None, min_coverage: float = 0.0
) -> tuple[Period | None, list[AssessmentRow]]:
    """The period `label` names (default: the stage of the dates, else all of them) and
    one row per branch with checks in it, ranked branches first. `scores` may carry a
    `coverage` column (0..1); checks below `min_coverage` do not count. No scores: (None,
    []); a period without scores: (period, []). Raises PeriodError for a period the
    policy cannot judge."""
    if scores.empty:
        return None, []
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
    counted = in_period[in_period["complete"]]
    rows = []
    if not counted.empty:
        table, outcomes = policy.assess(checked[checked["complete"]], period)
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
    for branch, mine in in_period[~in_period["branch"].isin(counted["branch"])].groupby("branch"):
        cov = _mean(mine["coverage"])
        rows.append(
            AssessmentRow(
                branch=str(branch),
                region=mine["region"].iloc[0],
                score=round(float(mine["score"].mean()), 2),
                checks=0,
                incomplete_checks=len(mine),
                coverage=cov,
                score_arithmetic=f"no complete check: {len(mine)} below the minimum coverage",
                rank=None,
                region_rank=None,
                outcome=INCOMPLETE,
                yuan=0.0,
                rule=(
                    f"本期每次检查的录像覆盖率 {cov:.0%} < {min_coverage:.0%}（监控录像不全）："
                    "补齐录像前不考核、不奖励 · "
                    f"coverage {cov:.0%} < {min_coverage:.0%} in every check of the period: "
                    "not assessed and never rewarded until the footage is supplied"
                ),
                recheck=True,
            )
        )
    return period, rows


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return round(float(values.mean()), 4) if len(values) else None


def _left_out(mine: pd.DataFrame, min_coverage: float) -> str:
    n = int((~mine["complete"]).sum())
    return f"; {n} incomplete check(s) (coverage < {min_coverage:.0%}) left out" if n else ""
