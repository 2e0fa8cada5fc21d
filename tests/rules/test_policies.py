"""The bank's two policies reproduce its plans' worked numbers (docs/scoring.md, "Judging observations")."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from rules.periods import PeriodError, check_scores, period_table, resolve_period
from rules.policies import BUILTIN, load_policy

A, B = load_policy("A"), load_policy("B")


def scores(rows) -> pd.DataFrame:
    return check_scores(pd.DataFrame(rows, columns=["branch", "region", "date", "score"]))


def top(n, score, on, region="elsewhere"):
    """`n` branches of another region that fill the province's top ranks."""
    return [(f"F{i:03}", region, on, score) for i in range(n)]


def assess(policy, rows, period=None):
    frame = scores(rows)
    table, outcomes = policy.assess(
        frame, resolve_period(list(frame["date"]), period, policy.stage_months)
    )
    return table, outcomes


# --- Policy A -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "code", "recheck"),
    [
        (84.9, "deduct", True),
        (80, "deduct", True),
        (79.9, "deduct_heavy", True),
        (85, "none", False),
    ],
)
def test_policy_a_thresholds(score, code, recheck):
    _, outcomes = assess(A, top(10, 95, "2024-03-05") + [("X", "r", "2024-03-05", score)])
    assert outcomes["X"].code == code
    assert outcomes["X"].recheck is recheck
    assert outcomes["X"].yuan == 0  # plan 1 names no amounts
    assert f"score {score:g}" in outcomes["X"].rule


@pytest.mark.parametrize(("above", "code"), [(4, "reward"), (5, "none")])
def test_policy_a_reward_needs_top_5_and_90(above, code):
    table, outcomes = assess(A, top(above, 95, "2024-03-05") + [("X", "r", "2024-03-05", 90)])
    assert table.loc["X", "rank"] == above + 1
    assert outcomes["X"].code == code
    expected = "score 90 ≥ 90 and rank 5 ≤ 5" if code == "reward" else "rank 6 > 5"
    assert expected in outcomes["X"].rule


def test_policy_a_annual_commendation_needs_top_3_average_90():
    rows = top(2, 95, "2024-02-01") + [
        ("X", "r", "2024-02-01", 88),
        ("X", "r", "2024-09-01", 93),  # mean 90.5, rank 3
        ("Y", "r", "2024-02-01", 90),
        ("Y", "r", "2024-09-01", 90.2),  # rank 4
    ]
    table, outcomes = assess(A, rows, "2024")
    assert table.loc["X", ["score", "rank"]].tolist() == [90.5, 3]
    assert outcomes["X"].code == "commendation"
    assert "annual average 90.5 ≥ 90 and rank 3 ≤ 3" in outcomes["X"].rule
    assert outcomes["Y"].code == "none"


def test_period_score_is_the_mean_of_checks_ranked_in_province_and_region():
    rows = [
        ("X", "north", "2024-03-01", 90),
        ("X", "north", "2024-03-08", 95),
        ("Y", "north", "2024-03-01", 96),
        ("Z", "south", "2024-03-01", 80),
        ("X", "north", "2024-07-01", 10),
    ]  # outside the period
    table = period_table(scores(rows), resolve_period([], "2024-03", {}))
    assert table.loc["X", ["score", "checks", "rank", "region_rank"]].tolist() == [92.5, 2, 2, 2]
    assert table.loc["Z", ["rank", "region_rank", "rank_from_bottom"]].tolist() == [3, 1, 1]


# --- Policy B -------------------------------------------------------------------------


def test_policy_b_stage_1_score_90_pays_1400():
    rows = top(200, 99, "2024-03-05") + [
        ("X", "huaian", "2024-03-05", 90),
        ("Y", "huaian", "2024-03-05", 85),
        ("Z", "huaian", "2024-03-05", 80),
    ]
    table, outcomes = assess(B, rows)
    x = outcomes["X"]
    assert (x.code, x.yuan) == ("penalty", -1400)
    assert "1000 + (92 − 90) × 200 = 1400" in x.rule


def test_policy_b_regional_last_two_pay_500_and_300_plus_200_a_point():
    rows = top(200, 99, "2024-06-05") + [
        ("X", "huaian", "2024-06-05", 96),
        ("Y", "huaian", "2024-06-05", 94),
        ("Z", "huaian", "2024-06-05", 93.5),
    ]
    _, outcomes = assess(B, rows)
    # X met the stage 2 target (95) and leads its region; the last two pay
    assert (outcomes["X"].code, outcomes["X"].yuan) == ("reward", 500)
    y, z = outcomes["Y"], outcomes["Z"]
    assert "last 2 in region huaian: 300 + 1 × 200 = 500" in y.rule
    assert y.yuan == -(1000 + 1 * 200) - 500
    assert "last 1 in region huaian: 500 + 1.5 × 200 = 800" in z.rule
    assert z.yuan == -(1000 + 1.5 * 200) - 800


def test_policy_b_stage_3_bottom_100_score_96_pays_2400():
    rows = top(200, 99.5, "2024-10-08") + [
        ("X", "huaian", "2024-10-08", 96),
        ("Y", "huaian", "2024-10-08", 95),
        ("Z", "huaian", "2024-10-08", 94),
    ]
    table, outcomes = assess(B, rows)
    assert table.loc["X", "rank_from_bottom"] == 3
    assert (outcomes["X"].code, outcomes["X"].yuan) == ("penalty", -2400)
    assert "bottom 100: 2000 + (98 − 96) × 200 = 2400" in outcomes["X"].rule


def test_policy_b_stage_3_outside_the_bottom_100_pays_the_1000_base():
    rows = (
        top(200, 99.5, "2024-10-08")
        + [(f"L{i:03}", "low", "2024-10-08", 90) for i in range(100)]
        + [("X", "huaian", "2024-10-08", 97), ("W", "huaian", "2024-10-08", 99.9)]
        + [("V", "huaian", "2024-10-08", 91), ("U", "huaian", "2024-10-08", 91)]
    )
    table, outcomes = assess(B, rows)
    assert table.loc["X", ["rank", "rank_from_bottom"]].tolist() == [202, 103]
    assert (outcomes["X"].code, outcomes["X"].yuan) == ("penalty", -1200)


def test_policy_b_top_200_are_not_assessed():
    rows = (
        top(199, 99.5, "2024-11-08")
        + [("X", "huaian", "2024-11-08", 97)]
        + [(f"L{i}", "huaian", "2024-11-08", 90) for i in range(50)]
    )
    table, outcomes = assess(B, rows)
    assert table.loc["X", "rank"] == 200
    assert (outcomes["X"].code, outcomes["X"].yuan) == ("exempt", 0)
    assert "rank 200 ≤ 200 in the province: not assessed (不考核)" in outcomes["X"].rule
    assert outcomes["L1"].code == "penalty"


def test_policy_b_regional_top_2_meeting_the_target_earn_500():
    rows = [
        ("X", "huaian", "2024-06-01", 96),
        ("Y", "huaian", "2024-06-01", 95.5),
        ("Z", "huaian", "2024-06-01", 95.2),
        ("P", "xuzhou", "2024-06-01", 94),
        ("Q", "xuzhou", "2024-06-01", 93),
    ]
    _, outcomes = assess(B, rows)
    assert (outcomes["X"].code, outcomes["X"].yuan) == ("reward", 500)
    assert "rank 1 in region huaian ≤ 2: 500" in outcomes["X"].rule
    assert outcomes["Y"].yuan == 500
    assert (outcomes["Z"].code, outcomes["Z"].yuan) == ("exempt", 0)
    assert (outcomes["P"].code, outcomes["P"].yuan) == ("exempt", 0)  # below the target


def test_policy_b_quarter_98_earns_300():
    rows = [
        ("X", "r", "2024-11-01", 98),
        ("Y", "r", "2024-11-01", 97.9),
        ("X", "r", "2024-05-01", 50),
    ]
    _, outcomes = assess(B, rows, "2024-Q4")
    assert (outcomes["X"].code, outcomes["X"].yuan) == ("reward", 300)
    assert (outcomes["Y"].code, outcomes["Y"].yuan) == ("none", 0)


def test_policy_b_a_year_without_assessment_earns_500():
    days = ["2024-02-01", "2024-06-01", "2024-10-01"]
    rows = [row for day in days for row in top(200, 99, day)]
    rows += [("X", "r", d, 99) for d in days]  # exempt or on target all year
    rows += [("Y", "r", d, s) for d, s in zip(days, [99, 94, 99], strict=True)]
    rows += [("Z", "r", d, 99) for d in days[:2]]  # no stage-3 scores
    rows += [(f"L{i}", "r", d, 99.1) for i in range(3) for d in days]
    _, outcomes = assess(B, rows, "2024")
    assert (outcomes["X"].code, outcomes["X"].yuan) == ("reward", 500)
    assert outcomes["Y"].code == "none" and "stage 2:" in outcomes["Y"].rule
    assert outcomes["Z"].code == "none" and "no scores in stage(s) 3" in outcomes["Z"].rule


def test_policy_b_stage_follows_from_dates_and_counts_are_configurable(tmp_path):
    data = yaml.safe_load(BUILTIN["B"].read_text(encoding="utf-8"))
    data["policy"]["exempt_top"] = 1
    data["policy"]["stages"][2]["bottom"]["count"] = 1
    path = tmp_path / "small-bank.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rows = [
        ("A1", "r1", "2024-09-03", 99),
        ("A2", "r1", "2024-09-03", 97),
        ("A3", "r1", "2024-09-03", 96.5),
        ("A4", "r2", "2024-12-03", 95),
        ("A5", "r2", "2024-12-03", 96),
        ("A6", "r2", "2024-12-03", 96.8),
    ]
    frame = scores(rows)
    period = resolve_period(list(frame["date"]), None, load_policy(path).stage_months)
    assert (period.label, period.kind) == ("2024-S3", "stage")
    _, outcomes = load_policy(path).assess(frame, period)
    assert outcomes["A4"].yuan == -(2000 + 3 * 200) - (500 + 3 * 200)  # bottom 1, last in r2
    assert outcomes["A6"].yuan == -(1000 + 1.2 * 200)


def test_policy_b_needs_one_stage_when_dates_span_several():
    frame = scores([("X", "r", "2024-04-30", 90), ("X", "r", "2024-05-02", 90)])
    period = resolve_period(list(frame["date"]), None, B.stage_months)
    assert period.kind == "round"
    with pytest.raises(PeriodError, match="span several stages: name a period"):
        B.assess(frame, period)


@pytest.mark.parametrize(
    ("label", "kind", "months"),
    [
        ("2024", "year", set(range(1, 13))),
        ("2024-Q2", "quarter", {4, 5, 6}),
        ("2024-S2", "stage", {5, 6, 7, 8}),
        ("2024-05", "month", {5}),
        ("2024-12", "month", {12}),
    ],
)
def test_period_labels(label, kind, months):
    period = resolve_period([], label, B.stage_months)
    assert period.kind == kind
    assert set(period.months) == months


@pytest.mark.parametrize(
    "label",
    ["99999", "2026-W10", "-", "", "week 12", "2026-Q5", "2026-Q0", "2026-13", "2026-00",
     "2026-5", "2026-M05", "2026-q1", "2026-S0", "26", "2026-", "2026\n", "２０２６", "2026-Q1 "],
)  # fmt: skip
def test_a_label_outside_the_grammar_is_an_error_naming_the_forms(label):
    with pytest.raises(PeriodError, match=r"is not a year \(2026\), a quarter"):
        resolve_period([], label, B.stage_months)


def test_bad_period_labels_and_scores_are_errors():
    with pytest.raises(PeriodError):
        resolve_period([], "2024-Q7", B.stage_months)
    with pytest.raises(PeriodError, match="no stage 2"):
        resolve_period([], "2024-S2", A.stage_months)
    with pytest.raises(PeriodError, match="between 0 and 100"):
        scores([("X", "r", "2024-01-02", 101)])
