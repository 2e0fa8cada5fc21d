"""A period's assessment as rows: each branch's mean score, ranks and policy outcome, with
the arithmetic. The one computation behind the API, `branch-audit assess` and the report."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from rules.periods import Period, check_scores, resolve_period
from rules.policies import Policy


class AssessmentRow(BaseModel):
    """One branch's assessment; the API serves it as it is (its `name` filled in there)."""

    model_config = ConfigDict(frozen=True)

    branch: str
    name: str = Field("", description="the branch's name (the scores do not carry it)")
    region: str
    score: float
    checks: int
    score_arithmetic: str
    rank: int
    region_rank: int
    outcome: str
    yuan: float = Field(description="negative: the branch pays; positive: it is rewarded")
    rule: str
    recheck: bool


def assessment_rows(
    scores: pd.DataFrame, policy: Policy, label: str | None
) -> tuple[Period | None, list[AssessmentRow]]:
    """The period `label` names (default: the stage of the dates, else all of them) and
    one row per branch with checks in it, best first. No scores: (None, []); a period
    without scores: (period, []). Raises PeriodError for a period the policy cannot judge."""
    if scores.empty:
        return None, []
    scores = check_scores(scores)
    period = resolve_period(list(scores["date"]), label, policy.stage_months)
    in_period = scores[[period.contains(d) for d in scores["date"]]]
    if in_period.empty:
        return period, []
    table, outcomes = policy.assess(scores, period)
    sums = in_period.groupby("branch")["score"].sum()
    rows = []
    for branch, row in table.iterrows():
        n, outcome = int(row["checks"]), outcomes[branch]
        rows.append(
            AssessmentRow(
                branch=str(branch),
                region=row["region"],
                score=float(row["score"]),
                checks=n,
                score_arithmetic=(
                    f"mean of {n} final check score(s): {sums[branch]:g} / {n} = {row['score']:g}"
                ),
                rank=int(row["rank"]),
                region_rank=int(row["region_rank"]),
                outcome=outcome.code,
                yuan=outcome.yuan,
                rule=outcome.rule,
                recheck=outcome.recheck,
            )
        )
    return period, rows
