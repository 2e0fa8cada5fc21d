"""Assessment periods and period scores: the mean of check scores, ranked.

Scores are rounded to two decimals before ranking and assessment so that the arithmetic a
branch manager is shown uses exactly the score they are shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

PeriodKind = Literal["year", "stage", "quarter", "month", "round"]
COLUMNS = ("branch", "region", "date", "score")


class PeriodError(ValueError):
    """The period asked for does not fit the scores or the policy."""


@dataclass(frozen=True)
class Period:
    label: str
    kind: PeriodKind
    year: int | None = None
    number: int | None = None  # stage, quarter or month number
    months: frozenset[int] | None = None  # None: every date given

    def contains(self, day: date) -> bool:
        if self.months is None:
            return True
        return day.year == self.year and day.month in self.months


# The one grammar of period labels (the API's `period`, `branch-audit assess --period`):
# a year, a quarter, a stage of the policy, a month. Plain and non-capturing groups only, so
# the API's OpenAPI document states the same pattern (JSON Schema regexes are ECMA's).
PERIOD_PATTERN = r"^([0-9]{4})(?:-(?:Q([1-4])|S([1-9][0-9]?)|(0[1-9]|1[0-2])))?$"
PERIOD_FORMS = (
    "a year (2026), a quarter (2026-Q1 to 2026-Q4), a stage of the policy (2026-S1, "
    "2026-S2, …) or a month (2026-01 to 2026-12)"
)


def resolve_period(
    dates: Sequence[date], label: str | None, stages: Mapping[int, Iterable[int]]
) -> Period:
    """The period a label names (see PERIOD_FORMS), or, without one, the policy stage all
    dates fall in, else a round over all the dates. A label outside the grammar, or a
    stage the policy does not have, is a PeriodError."""
    if label is None:
        years = {d.year for d in dates}
        for number, months in stages.items():
            if len(years) == 1 and all(d.month in set(months) for d in dates):
                year = years.pop()
                return Period(f"{year}-S{number}", "stage", year, number, frozenset(months))
        first, last = min(dates), max(dates)
        return Period(f"{first}..{last}", "round")
    match = re.fullmatch(PERIOD_PATTERN, label)
    if match is None:
        shown = label if len(label) <= 20 else label[:20] + "…"
        raise PeriodError(f"period {shown!r} is not {PERIOD_FORMS}")
    year, quarter, stage, month = match.groups()
    year = int(year)
    if quarter:
        number = int(quarter)
        months = frozenset(range(3 * number - 2, 3 * number + 1))
        return Period(label, "quarter", year, number, months)
    if stage:
        number = int(stage)
        if number not in stages:
            have = ", ".join(f"S{n}" for n in stages) or "none"
            raise PeriodError(
                f"period {label}: the policy has no stage {number} (its stages: {have})"
            )
        return Period(label, "stage", year, number, frozenset(stages[number]))
    if month:
        return Period(label, "month", year, int(month), frozenset({int(month)}))
    return Period(label, "year", year, None, frozenset(range(1, 13)))


def check_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """Validated check scores: columns branch, region, date (a date), score (0-100)."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise PeriodError(f"scores need columns {', '.join(COLUMNS)}; missing {missing}")
    out = frame.loc[:, list(COLUMNS)].copy()
    out["branch"] = out["branch"].astype(str)
    out["region"] = out["region"].astype(str)
    out["date"] = pd.to_datetime(out["date"]).dt.date
    out["score"] = pd.to_numeric(out["score"])
    if not out["score"].between(0, 100).all():
        raise PeriodError("scores must lie between 0 and 100")
    regions = out.groupby("branch")["region"].nunique()
    if (regions > 1).any():
        raise PeriodError(f"branches in several regions: {sorted(regions[regions > 1].index)}")
    return out


def period_table(scores: pd.DataFrame, period: Period) -> pd.DataFrame:
    """One row per branch with checks in the period: region, score, checks, and ranks
    (1 = best; ties share the better rank) in the province and region, from the top and
    from the bottom."""
    rows = scores[[period.contains(d) for d in scores["date"]]]
    if rows.empty:
        raise PeriodError(f"no scores in period {period.label}")
    table = rows.groupby("branch").agg(
        region=("region", "first"), score=("score", "mean"), checks=("score", "size")
    )
    table["score"] = table["score"].round(2)
    by_region = table.groupby("region")["score"]
    table["rank"] = table["score"].rank(ascending=False, method="min").astype(int)
    table["rank_from_bottom"] = table["score"].rank(ascending=True, method="min").astype(int)
    table["region_rank"] = by_region.rank(ascending=False, method="min").astype(int)
    table["region_rank_from_bottom"] = by_region.rank(ascending=True, method="min").astype(int)
    return table.sort_values(["rank", "region"]).rename_axis("branch")
