"""Missing days count (issue 22 row 5, SPEC §2): a business day of a branch's calendar
without a complete check is missing, and a branch with one is never ranked, rewarded or
assessed on the days that happen to exist (rules/assessment.py)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from rules.assessment import INCOMPLETE, BranchCalendar, assessment_rows
from rules.policies import load_policy

WEEKDAYS = {str(d): ["09:00", "17:00"] for d in range(5)}
MON, TUE, FRI, NEXT_MON = (
    date(2026, 10, 5),
    date(2026, 10, 6),
    date(2026, 10, 9),
    date(2026, 10, 12),
)


def _rows(*checks):
    """(branch, day, score, coverage) → the scores frame the API builds."""
    return pd.DataFrame(
        [(b, "r1", d, score, cov) for b, d, score, cov in checks],
        columns=["branch", "region", "date", "score", "coverage"],
    )


def _cal(since: date | None = None) -> BranchCalendar:
    return BranchCalendar("r1", WEEKDAYS, since)


# case, the checks, the calendars, then per branch (missing days, ranked, score)
CASES = [
    (
        "one check, then a day its site file broke",
        [("ONE", MON, 100.0, 1.0), ("OTHER", MON, 95.0, 1.0), ("OTHER", TUE, 95.0, 1.0)],
        {"ONE": _cal(), "OTHER": _cal()},
        {"ONE": (1, False, 100.0), "OTHER": (0, True, 95.0)},
    ),
    (
        "a weekend between is no missing day",
        [("ONE", FRI, 99.0, 1.0), ("ONE", NEXT_MON, 97.0, 1.0)],
        {"ONE": _cal()},
        {"ONE": (0, True, 98.0)},
    ),
    (
        "no day before its first night is missing",
        [("NEW", TUE, 96.0, 1.0), ("OLD", MON, 94.0, 1.0), ("OLD", TUE, 94.0, 1.0)],
        {"NEW": _cal(since=TUE), "OLD": _cal()},
        {"NEW": (0, True, 96.0), "OLD": (0, True, 94.0)},
    ),
    (
        "a branch with no check in the period at all",
        [("OTHER", MON, 95.0, 1.0), ("OTHER", TUE, 95.0, 1.0)],
        {"GONE": _cal(), "OTHER": _cal()},
        {"GONE": (2, False, None), "OTHER": (0, True, 95.0)},
    ),
    (
        "a branch that joined after the period is not in it",
        [("OTHER", MON, 95.0, 1.0), ("OTHER", TUE, 95.0, 1.0)],
        {"LATER": _cal(since=date(2026, 11, 2)), "OTHER": _cal()},
        {"OTHER": (0, True, 95.0)},
    ),
    (
        "an incomplete day is missing",
        [("HALF", MON, 100.0, 1.0), ("HALF", TUE, 100.0, 0.5)],
        {"HALF": _cal()},
        {"HALF": (1, False, 100.0)},
    ),
    (
        "nothing seen: no score",
        [("BLIND", MON, 100.0, 0.0), ("BLIND", TUE, 100.0, 0.0)],
        {"BLIND": _cal()},
        {"BLIND": (2, False, None)},
    ),
]


@pytest.mark.parametrize("policy", ["A", "B"])
@pytest.mark.parametrize(("case", "checks", "calendars", "expected"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_a_branch_with_a_missing_business_day_is_not_ranked_or_paid(
    policy, case, checks, calendars, expected
):
    label = "2026-10" if policy == "A" else "2026-S3"
    _, rows = assessment_rows(_rows(*checks), load_policy(policy), label, 0.9, calendars)
    by = {r.branch: r for r in rows}
    assert set(by) == set(expected)
    for branch, (missing, ranked, score) in expected.items():
        row = by[branch]
        assert (row.missing_days, row.rank is not None, row.score) == (missing, ranked, score)
        if not ranked:
            assert (row.outcome, row.yuan, row.region_rank, row.recheck) == (
                INCOMPLETE, 0.0, None, True,
            )  # fmt: skip
            assert f"{missing} business day(s) without a complete check" in row.rule


def test_the_one_check_branch_no_longer_ranks_first_with_a_reward():
    """The issue's night: ONE's single perfect check ranked 1 with Policy A's reward."""
    checks = [("ONE", MON, 100.0, 1.0), ("OTHER", MON, 95.0, 1.0), ("OTHER", TUE, 93.0, 1.0)]
    _, rows = assessment_rows(
        _rows(*checks), load_policy("A"), "2026-10", 0.9, {"ONE": _cal(), "OTHER": _cal()}
    )
    by = {r.branch: r for r in rows}
    assert (by["ONE"].rank, by["ONE"].outcome) == (None, INCOMPLETE)
    assert (by["OTHER"].rank, by["OTHER"].outcome) == (1, "reward")
