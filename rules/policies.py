"""The seed's two assessment policies, as configuration, each outcome with its arithmetic.

Policy A (threshold) and Policy B (staged targets with yuan amounts) are read from YAML so
a bank changes thresholds and amounts without code. Every outcome names the rule that
produced it and shows the numbers, so a branch manager can check it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, model_validator

from detectors.config_base import MAX_COUNT, Count, Month, Points, StrictModel, Yuan, load_yaml
from rules.fines import FineRule
from rules.periods import Period, PeriodError, period_table

BUILTIN = {
    "A": Path(__file__).with_name("policy_a.yaml"),
    "B": Path(__file__).with_name("policy_b.yaml"),
}

OutcomeCode = Literal[
    "reward", "commendation", "none", "exempt", "deduct", "deduct_heavy", "penalty"
]


@dataclass(frozen=True)
class Outcome:
    code: OutcomeCode
    yuan: float  # negative: the branch pays; positive: it is rewarded
    rule: str
    recheck: bool = False  # to be re-checked next round


def _n(x: float) -> str:
    return f"{round(x, 2):g}"


SEP = " · "  # between a rule's Chinese text, first, and its English one


def _both(zh: str, en: str) -> str:
    return f"{zh}{SEP}{en}"


def english(rule: str) -> str:
    """The English half of a rule text made by `_both`."""
    return rule.split(SEP, 1)[-1]


class RankReward(StrictModel):
    top: int = Field(
        ge=1, le=MAX_COUNT, title="top ranks", description="the ranks rewarded, from the first"
    )
    min_score: Points = Field(
        title="lowest score", description="the score a rewarded branch reaches at least"
    )
    yuan: Yuan = Field(0, title="reward", description="yuan to each rewarded branch")


class ThresholdPolicy(StrictModel):
    """Plan 1: pay deductions below thresholds, rewards for the top of a round or year."""

    kind: Literal["threshold"] = Field(title="kind", description="`threshold`: plan 1")
    name: str = Field(title="name", description="the policy's name, as shown in pages and exports")
    deduct_below: Points = Field(
        title="deduction below", description="a score under this has the branch pay `deduct_yuan`"
    )
    deduct_yuan: Yuan = Field(
        0, title="deduction", description="yuan a branch under `deduct_below` pays"
    )
    deduct_heavy_below: Points = Field(
        title="heavier deduction below",
        description="a score under this has the branch pay `deduct_heavy_yuan`",
    )
    deduct_heavy_yuan: Yuan = Field(
        0, title="heavier deduction", description="yuan a branch under `deduct_heavy_below` pays"
    )
    recheck_below: Points = Field(
        title="recheck below", description="a score under this is checked again next round"
    )
    reward: RankReward = Field(title="round reward", description="the reward of each check round")
    commendation: RankReward = Field(
        title="commendation", description="the reward on the annual average"
    )
    fines: dict[str, FineRule] = Field(
        {}, title="fines",
        description="item code → its per-incident fine (rules/fines.py); the plan names none",
    )  # fmt: skip

    @model_validator(mode="after")
    def _heavy_is_lower(self) -> ThresholdPolicy:
        if self.deduct_heavy_below > self.deduct_below:
            raise ValueError("deduct_heavy_below must be ≤ deduct_below")
        return self

    @property
    def stage_months(self) -> dict[int, tuple[int, ...]]:
        return {}

    def assess_branch(self, row: pd.Series, period: Period) -> Outcome:
        s, rank = row["score"], row["rank"]
        recheck = s < self.recheck_below
        if s < self.deduct_heavy_below:
            return Outcome(
                "deduct_heavy",
                -self.deduct_heavy_yuan,
                _both(
                    f"得分 {_n(s)} < {_n(self.deduct_heavy_below)}：加重扣减网点绩效工资 "
                    f"{_n(self.deduct_heavy_yuan)} 元",
                    f"score {_n(s)} < {_n(self.deduct_heavy_below)}: heavier performance-pay "
                    f"deduction, {_n(self.deduct_heavy_yuan)} yuan",
                ),
                recheck,
            )
        if s < self.deduct_below:
            return Outcome(
                "deduct",
                -self.deduct_yuan,
                _both(
                    f"得分 {_n(s)} < {_n(self.deduct_below)}：扣除网点绩效工资 "
                    f"{_n(self.deduct_yuan)} 元",
                    f"score {_n(s)} < {_n(self.deduct_below)}: performance-pay deduction, "
                    f"{_n(self.deduct_yuan)} yuan",
                ),
                recheck,
            )
        code, rule, what, what_zh, code_zh = (
            ("commendation", self.commendation, "annual average", "年均分", "表彰")
            if period.kind == "year"
            else ("reward", self.reward, "score", "得分", "奖励")
        )
        if s >= rule.min_score and rank <= rule.top:
            return Outcome(
                code,
                rule.yuan,
                _both(
                    f"{what_zh} {_n(s)} ≥ {_n(rule.min_score)} 且排名 {rank} ≤ {rule.top}："
                    f"{code_zh} {_n(rule.yuan)} 元",
                    f"{what} {_n(s)} ≥ {_n(rule.min_score)} and rank {rank} ≤ {rule.top}: "
                    f"{code}, {_n(rule.yuan)} yuan",
                ),
                recheck,
            )
        low = s < rule.min_score
        why = f"{what} {_n(s)} < {_n(rule.min_score)}" if low else f"rank {rank} > {rule.top}"
        why_zh = f"{what_zh} {_n(s)} < {_n(rule.min_score)}" if low else f"排名 {rank} > {rule.top}"
        return Outcome(
            "none",
            0,
            _both(
                f"得分 {_n(s)} ≥ {_n(self.deduct_below)}：不扣减；{why_zh}：无{code_zh}",
                f"score {_n(s)} ≥ {_n(self.deduct_below)}: no deduction; {why}: no {code}",
            ),
            recheck,
        )

    def assess(
        self, scores: pd.DataFrame, period: Period
    ) -> tuple[pd.DataFrame, dict[str, Outcome]]:
        table = period_table(scores, period)
        return table, {b: self.assess_branch(row, period) for b, row in table.iterrows()}


class BottomRule(StrictModel):
    """The bottom `count` of the province pay `base_yuan` instead of the usual base."""

    count: Count = Field(
        title="bottom branches", description="the last branches of the province this applies to"
    )
    base_yuan: Yuan = Field(title="base", description="yuan they pay instead of the usual base")


class Stage(StrictModel):
    number: int = Field(ge=1, le=12, title="stage", description="the stage's number")
    months: tuple[Month, ...] = Field(
        min_length=1, title="months", description="the months (1-12) of the stage"
    )
    target: Points = Field(title="target", description="the score a branch reaches in the stage")
    bottom: BottomRule | None = Field(
        None, title="bottom rule", description="the last branches of the province pay another base"
    )


class RegionalLast(StrictModel):
    """The last branches of each region pay these, last first, plus per point below target."""

    yuan: tuple[Yuan, ...] = Field(
        max_length=MAX_COUNT,
        title="last places",
        description="yuan the last branches of each region pay, last first",
    )
    per_point_yuan: Yuan = Field(
        title="per point", description="yuan per point below the target, added"
    )


class RegionalTop(StrictModel):
    count: int = Field(
        ge=1,
        le=MAX_COUNT,
        title="top places",
        description="the first branches of each region rewarded",
    )
    yuan: Yuan = Field(title="reward", description="yuan to each of them, on target")


class QuarterReward(StrictModel):
    min_score: Points = Field(
        title="lowest score", description="the quarter's score reached at least"
    )
    yuan: Yuan = Field(title="reward", description="yuan to a branch that reaches it early")


class CleanYearReward(StrictModel):
    yuan: Yuan = Field(
        title="reward", description="yuan to a branch without an assessment order all year"
    )


class StagedPolicy(StrictModel):
    """Plan 2: stage targets, yuan penalties below them, rank-based rules and rewards."""

    kind: Literal["staged"] = Field(title="kind", description="`staged`: plan 2")
    name: str = Field(title="name", description="the policy's name, as shown in pages and exports")
    stages: tuple[Stage, ...] = Field(
        min_length=1,
        title="stages",
        description="the year's stages, each with its months and target",
    )
    exempt_top: Count = Field(
        title="exempt top", description="the province's top N are not assessed"
    )
    base_yuan: Yuan = Field(title="base", description="yuan a branch under its target pays")
    per_point_yuan: Yuan = Field(
        title="per point", description="yuan per point under the target, added to the base"
    )
    regional_last: RegionalLast = Field(
        title="regional last", description="what the last branches of each region pay"
    )
    regional_top: RegionalTop = Field(
        title="regional top", description="the reward of the first branches of each region"
    )
    quarter_reward: QuarterReward = Field(
        title="quarter reward", description="the reward for reaching a score early in a quarter"
    )
    clean_year_reward: CleanYearReward = Field(
        title="clean year reward", description="the reward for a year without an assessment order"
    )
    fines: dict[str, FineRule] = Field(
        {}, title="fines",
        description="item code → its per-incident fine (rules/fines.py); items not listed "
        "cost no fine",
    )  # fmt: skip

    @model_validator(mode="after")
    def _stages_partition_months(self) -> StagedPolicy:
        months = [m for stage in self.stages for m in stage.months]
        if len(months) != len(set(months)) or not set(months) <= set(range(1, 13)):
            raise ValueError("stage months must be distinct months 1-12")
        if len({s.number for s in self.stages}) != len(self.stages):
            raise ValueError("stage numbers must be distinct")
        return self

    @property
    def stage_months(self) -> dict[int, tuple[int, ...]]:
        return {s.number: s.months for s in self.stages}

    def _stage(self, period: Period) -> Stage:
        return next(s for s in self.stages if s.number == period.number)

    def _stage_outcome(self, row: pd.Series, stage: Stage) -> Outcome:
        s, target = row["score"], stage.target
        short = max(0.0, target - s)
        penalties: Terms = []
        rewards: Terms = []
        exempt = row["rank"] <= self.exempt_top
        if not exempt and s < target:
            base, why = self.base_yuan, f"below stage {stage.number} target"
            why_zh = f"低于第 {stage.number} 阶段目标"
            bottom = stage.bottom
            if bottom is not None and row["rank_from_bottom"] <= bottom.count:
                base, why = bottom.base_yuan, f"{why}, in the province's bottom {bottom.count}"
                why_zh = f"{why_zh}，全省倒数 {bottom.count} 名内"
            amount = base + short * self.per_point_yuan
            sums = (
                f"{_n(base)} + ({_n(target)} − {_n(s)}) × {_n(self.per_point_yuan)} = {_n(amount)}"
            )
            penalties.append((amount, f"{why_zh}：{sums}", f"{why}: {sums}"))
        last = self.regional_last.yuan
        place = row["region_rank_from_bottom"]
        if not exempt and place <= len(last):
            amount = last[place - 1] + short * self.regional_last.per_point_yuan
            sums = (
                f"{_n(last[place - 1])} + {_n(short)} × "
                f"{_n(self.regional_last.per_point_yuan)} = {_n(amount)}"
            )
            penalties.append(
                (
                    amount,
                    f"区域 {row['region']} 倒数第 {place} 名：{sums}",
                    f"last {place} in region {row['region']}: {sums}",
                )
            )
        if s >= target and row["region_rank"] <= self.regional_top.count:
            rewards.append(
                (
                    self.regional_top.yuan,
                    f"达到阶段目标（{_n(s)} ≥ {_n(target)}）且区域 {row['region']} 排名 "
                    f"{row['region_rank']} ≤ {self.regional_top.count}：{_n(self.regional_top.yuan)}",
                    f"stage target met ({_n(s)} ≥ {_n(target)}) and rank {row['region_rank']} "
                    f"in region {row['region']} ≤ {self.regional_top.count}: "
                    f"{_n(self.regional_top.yuan)}",
                )
            )
        return _combine(penalties, rewards, exempt, row["rank"], self.exempt_top, s, target)

    def _quarter_outcome(self, row: pd.Series) -> Outcome:
        r = self.quarter_reward
        if row["score"] >= r.min_score:
            return Outcome(
                "reward",
                r.yuan,
                _both(
                    f"季度得分 {_n(row['score'])} ≥ {_n(r.min_score)}：奖励 {_n(r.yuan)} 元",
                    f"quarter score {_n(row['score'])} ≥ {_n(r.min_score)}: {_n(r.yuan)} yuan",
                ),
            )
        return Outcome(
            "none",
            0,
            _both(
                f"季度得分 {_n(row['score'])} < {_n(r.min_score)}：无季度奖励",
                f"quarter score {_n(row['score'])} < {_n(r.min_score)}: no quarterly reward",
            ),
        )

    def _year_outcomes(self, scores: pd.DataFrame, period: Period) -> dict[str, Outcome]:
        """The clean-year reward: scores in every stage and assessed in none."""
        assessed: dict[str, list[str]] = {}
        seen: dict[str, set[int]] = {}
        for stage in self.stages:
            sub = Period(
                f"{period.year}-S{stage.number}",
                "stage",
                period.year,
                stage.number,
                frozenset(stage.months),
            )
            rows = scores[[sub.contains(d) for d in scores["date"]]]
            if rows.empty:
                continue
            for branch, row in period_table(rows, sub).iterrows():
                seen.setdefault(branch, set()).add(stage.number)
                outcome = self._stage_outcome(row, stage)
                if outcome.code == "penalty":
                    assessed.setdefault(branch, []).append(
                        (stage.number, f"stage {stage.number}: {english(outcome.rule)}")
                    )
        out = {}
        every = {s.number for s in self.stages}
        for branch, stages in seen.items():
            if branch in assessed:
                stages_zh = "、".join(str(n) for n, _ in assessed[branch])
                out[branch] = Outcome(
                    "none",
                    0,
                    _both(
                        f"年内第 {stages_zh} 阶段被考核：无全年奖励",
                        "assessed during the year ("
                        + "; ".join(text for _, text in assessed[branch])
                        + "): no clean-year reward",
                    ),
                )
            elif stages != every:
                missing = sorted(every - stages)
                out[branch] = Outcome(
                    "none",
                    0,
                    _both(
                        f"第 {'、'.join(map(str, missing))} 阶段无得分：无全年奖励",
                        f"no scores in stage(s) {', '.join(map(str, missing))}: "
                        "no clean-year reward",
                    ),
                )
            else:
                out[branch] = Outcome(
                    "reward",
                    self.clean_year_reward.yuan,
                    _both(
                        f"全年各阶段均未被考核：奖励 {_n(self.clean_year_reward.yuan)} 元",
                        "no assessment in any stage of the year: "
                        f"{_n(self.clean_year_reward.yuan)} yuan",
                    ),
                )
        return out

    def assess(
        self, scores: pd.DataFrame, period: Period
    ) -> tuple[pd.DataFrame, dict[str, Outcome]]:
        table = period_table(scores, period)
        if period.kind == "stage":
            stage = self._stage(period)
            return table, {b: self._stage_outcome(row, stage) for b, row in table.iterrows()}
        if period.kind == "quarter":
            return table, {b: self._quarter_outcome(row) for b, row in table.iterrows()}
        if period.kind == "year":
            outcomes = self._year_outcomes(scores, period)
            return table, {b: outcomes[b] for b in table.index}
        if period.kind == "month":  # fines are monthly (rules/fines.py); targets are per stage
            return table, {
                b: Outcome(
                    "none",
                    0,
                    _both(
                        "月度只计罚款，阶段目标按阶段考核",
                        "a month carries the incident fines only: stage targets are assessed "
                        "per stage",
                    ),
                )
                for b in table.index
            }
        hint = "; the dates span several stages: name a period" if period.kind == "round" else ""
        raise PeriodError(
            f"{self.name} assesses stages, quarters, years or a month's fines; period {period.label} is a "
            f"{period.kind}{hint}"
        )


Terms = list[tuple[float, str, str]]  # (yuan, how it was computed in Chinese, in English)


def _combine(
    penalties: Terms, rewards: Terms, exempt: bool, rank: int, top: int, s: float, target: float
) -> Outcome:
    """One outcome from every rule that applied: net yuan, each term's arithmetic shown."""
    paid = sum(a for a, _, _ in penalties)
    got = sum(a for a, _, _ in rewards)
    yuan = round(got - paid, 2)
    zh = [f"罚款 {text} 元" for _, text, _ in penalties] + [
        f"奖励 {text} 元" for _, text, _ in rewards
    ]
    en = [f"penalty {text} yuan" for _, _, text in penalties] + [
        f"reward {text} yuan" for _, _, text in rewards
    ]
    if exempt:
        zh.insert(0, f"全省排名 {rank} ≤ {top}：不考核")
        en.insert(0, f"rank {rank} ≤ {top} in the province: not assessed (不考核)")
    elif not penalties:
        zh.insert(0, f"得分 {_n(s)} ≥ 目标 {_n(target)}：不罚款")
        en.insert(0, f"score {_n(s)} ≥ target {_n(target)}: no penalty")
    code = "penalty" if penalties else "reward" if rewards else "exempt" if exempt else "none"
    return Outcome(code, yuan, _both("；".join(zh), "; ".join(en)))


Policy = Annotated[ThresholdPolicy | StagedPolicy, Field(discriminator="kind")]


class _PolicyFile(StrictModel):
    policy: Policy = Field(
        title="policy", description="the assessment policy: `kind` threshold or staged"
    )


def load_policy(name_or_path: str | Path) -> ThresholdPolicy | StagedPolicy:
    """`A`, `B` (the bank's two plans as shipped) or a bank's own policy file."""
    path = BUILTIN.get(str(name_or_path).upper(), Path(name_or_path))
    return load_yaml(path, _PolicyFile).policy
