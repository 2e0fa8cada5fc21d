"""Policy B's per-incident fines: the yuan value of each confirmed finding, with its rule.

The bank's plan 2 prices findings as well as scores: items in the customer's view cost a
fixed amount per incident (100–200 yuan), crowding not handled 100 yuan a time, and staff
behaviour judged on the spot 200 yuan per point of the item's deduction, 500 per point for
a repeat (同一问题重复发生…扣分加倍考核). A repeat is what the score calls one (rules/scoring.py):
the item already confirmed earlier in the period, or an item the branch was told to fix.
The fine counts the item's own points; doubling them is the score's business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from pydantic import Field, model_validator

from rules.checklist import Checklist
from rules.config import StrictModel, Yuan
from rules.findings import Finding, FindingStatus
from rules.scoring import repeat_marks

CONFIRMED = frozenset({FindingStatus.CONFIRMED})


class FineRule(StrictModel):
    """Either a fixed amount per incident, or yuan per point of the item's deduction."""

    per_incident: Yuan | None = Field(
        None, title="per incident", description="yuan for each confirmed finding"
    )
    per_point: Yuan | None = Field(
        None, title="per point", description="yuan per point of the item's deduction"
    )
    per_point_repeat: Yuan | None = Field(
        None, title="per point, repeat", description="yuan per point for a repeat"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> FineRule:
        if (self.per_incident is None) == (self.per_point is None):
            raise ValueError("give either per_incident or per_point (with per_point_repeat)")
        return self


@dataclass(frozen=True)
class Fine:
    yuan: float
    rule: str


def finding_fines(
    findings: Iterable[Finding],
    checklist: Checklist,
    rules: dict[str, FineRule],
    *,
    told_to_fix: Callable[[date], frozenset[str]] = lambda _: frozenset(),
) -> dict[str, Fine]:
    """Finding id → fine, for the confirmed findings of one branch in one period (`findings`
    holds all of them, in any order and status); items without a rule cost nothing.
    `told_to_fix(day)`: the items under an open rectification order that day."""
    findings = sorted(findings, key=lambda f: (f.start, f.id))
    repeats: dict[str, bool] = {}
    for day in sorted({f.start.date() for f in findings}):
        todays = [f for f in findings if f.start.date() == day]
        earlier = [f for f in findings if f.start.date() < day]
        repeats |= repeat_marks(todays, CONFIRMED, earlier=earlier, told_to_fix=told_to_fix(day))
    out = {}
    for f in findings:
        rule = rules.get(f.item)
        if f.status is not FindingStatus.CONFIRMED or rule is None:
            continue
        if rule.per_incident is not None:
            out[f.id] = Fine(
                rule.per_incident, f"{f.item}: {rule.per_incident:g} yuan per incident"
            )
            continue
        points = checklist.item(f.item).deduction
        repeat = repeats[f.id]
        rate = (
            rule.per_point_repeat
            if repeat and rule.per_point_repeat is not None
            else rule.per_point
        )
        why = "repeat, " if repeat else ""
        out[f.id] = Fine(
            points * rate,
            f"{f.item}: {why}{points:g} point(s) × {rate:g} yuan = {points * rate:g} yuan",
        )
    return out
