"""Policy B's per-incident fines: the yuan value of each confirmed finding, with its rule.

The bank's plan 2 prices findings as well as scores: items in the customer's view cost a
fixed amount per incident (100–200 yuan), crowding not handled 100 yuan a time, and staff
behaviour judged on the spot 200 yuan per point of the item's deduction, 500 per point for
a repeat (同一问题重复发生…扣分加倍考核). A repeat is what the score calls one (rules/scoring.py):
the item already confirmed earlier in the period, or an item under an open rectification order.
The fine counts the item's own points; doubling them is the score's business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from pydantic import Field, model_validator

from detectors.config_base import StrictModel, Yuan
from rules.checklist import Checklist
from rules.findings import Finding, FindingStatus
from rules.scoring import FINAL, period_marks


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
    rule: str  # in English, with the item's code: what the API and the exports carry
    rule_zh: str = ""  # the same in Chinese, with the item's name: what documents print first

    @property
    def wording(self) -> str:
        """The rule, Chinese first with English beside (the notice, the report)."""
        return f"{self.rule_zh} · {self.rule}" if self.rule_zh else self.rule


@dataclass(frozen=True)
class Stake:
    """What confirming a finding does (or, confirmed, did): the one answer the finding
    page, the queue, the branch page, the notice, the exports and the scores share."""

    repeat: bool  # it counts double: its item was confirmed earlier in the period, or ordered
    under_order: bool  # the item was under an open rectification order that day
    points: float  # the item's deduction, × repeat_factor for a repeat (before the item's cap)
    fine: Fine | None  # Policy B's fine; None for an item without a rule


def fine_of(finding: Finding, checklist: Checklist, rule: FineRule, repeat: bool) -> Fine:
    """The fine of `finding` confirmed, a repeat or not."""
    item = checklist.item(finding.item)
    if rule.per_incident is not None:
        return Fine(
            rule.per_incident,
            f"{finding.item}: {rule.per_incident:g} yuan per incident",
            f"{item.name_zh}：每次 {rule.per_incident:g} 元",
        )
    points = item.deduction
    rate = rule.per_point_repeat if repeat and rule.per_point_repeat is not None else rule.per_point
    why, why_zh = ("repeat, ", "重复发生，") if repeat else ("", "")
    return Fine(
        points * rate,
        f"{finding.item}: {why}{points:g} point(s) × {rate:g} yuan = {points * rate:g} yuan",
        f"{item.name_zh}：{why_zh}{points:g} 分 × {rate:g} 元 = {points * rate:g} 元",
    )


def stakes(
    findings: Iterable[Finding],
    checklist: Checklist,
    rules: dict[str, FineRule],
    *,
    under_order: Callable[[date], frozenset[str]] = lambda _: frozenset(),
    day_of: Callable[[Finding], date] = lambda f: f.start.date(),
) -> dict[str, Stake]:
    """Finding id → its stake, for every finding of one branch in one period (`findings`
    holds all of them, in any order and status) whose item the checklist knows: a repeat
    as the final score counts it (rules/scoring.period_marks), pending and dismissed ones
    as they would count once confirmed. `under_order(day)`: the items under an open
    rectification order that day; `day_of`: a finding's check day."""
    findings = list(findings)
    marks = period_marks(findings, FINAL, day_of=day_of, under_order=under_order)
    known = {item.code for item in checklist.items}
    out = {}
    for f in findings:
        if f.item not in known:
            continue
        repeat, rule = marks[f.id], rules.get(f.item)
        deduction = checklist.item(f.item).deduction
        out[f.id] = Stake(
            repeat=repeat,
            under_order=f.item in under_order(day_of(f)),
            points=deduction * (checklist.repeat_factor if repeat else 1.0),
            fine=fine_of(f, checklist, rule, repeat) if rule is not None else None,
        )
    return out


def finding_fines(
    findings: Iterable[Finding],
    checklist: Checklist,
    rules: dict[str, FineRule],
    *,
    under_order: Callable[[date], frozenset[str]] = lambda _: frozenset(),
    day_of: Callable[[Finding], date] = lambda f: f.start.date(),
) -> dict[str, Fine]:
    """Finding id → fine, for the confirmed findings of one branch in one period (`findings`
    holds all of them, in any order and status); items without a rule cost nothing."""
    findings = list(findings)
    staked = stakes(findings, checklist, rules, under_order=under_order, day_of=day_of)
    return {
        f.id: staked[f.id].fine
        for f in findings
        if f.status is FindingStatus.CONFIRMED and f.id in staked and staked[f.id].fine is not None
    }
