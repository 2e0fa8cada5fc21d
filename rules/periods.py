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


_LABEL = re.compile(r"^(?P<year>\d{4})(?:-(?P<kind>[QqSs]|M?)(?P<number>\d{1,2}))?$")


def resolve_period(
    dates: Sequence[date], label: str | None, stages: Mapping[int, Iterable[int]]
) -> Period:
    """The period a label names (`2024`, `2024-Q4`, `2024-S3`, `2024-05`), or, without one,
    the policy stage all dates fall in, else a round over all the dates."""
    if label is None:
        years = {d.year for d in dates}
        for number, months in stages.items():
            if len(years) == 1 and all(d.month in set(months) for d in dates):
                year = years.pop()
                return Period(f"{year}-S{number}", "stage", year, number, frozenset(months))
        first, last = min(dates), max(dates)
        return Period(f"{first}..{last}", "round")
    match = _LABEL.match(label)
    if match is None:
        return Period(label, "round")
    year, kind = int(match["year"]), (match["kind"] or "").upper()
    if match["number"] is None:
        return Period(label, "year", year, None, frozenset(range(1, 13)))
    number = int(match["number"])
    if kind == "Q" and 1 <= number <= 4:
        months = frozenset(range(3 * number - 2, 3 * number + 1))
        return Period(label, "quarter", year, number, months)
    if kind == "S":
        if number not in stages:
            raise PeriodError(f"period {label}: the policy has no stage {number}")
        return Period(label, "stage", year, number, frozenset(stages[number]))
    if kind in ("", "M") and 1 <= number <= 12:
        return Period(label, "month", year, number, frozenset({number}))
    raise PeriodError(f"period {label}: not a year, quarter (Q1-Q4), stage or month")


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
