"""Policy B's fines per confirmed finding, with the plan's own numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rules.checklist import load_checklist
from rules.config import ConfigError, validate
from rules.findings import Finding, FindingStatus
from rules.fines import FineRule, finding_fines
from rules.policies import load_policy
from tests.support.observations import at

CHECKLIST = load_checklist()
FINES = load_policy("B").fines


def finding(item, minute, status=FindingStatus.CONFIRMED, zone="post-1"):
    start = at(60 * minute)
    return Finding(item, "B1", ("cam",), zone, start, start + timedelta(minutes=6), 1.0, (), status)


def test_a_two_point_finding_is_400_yuan_and_its_repeat_1000():
    first, again = finding("TELLER_ABSENT", 10), finding("TELLER_ABSENT", 90)
    fines = finding_fines([again, first], CHECKLIST, FINES)  # any order: by time
    assert (fines[first.id].yuan, fines[again.id].yuan) == (400, 1000)
    assert fines[first.id].rule == "TELLER_ABSENT: 2 point(s) × 200 yuan = 400 yuan"
    assert fines[again.id].rule == "TELLER_ABSENT: repeat, 2 point(s) × 500 yuan = 1000 yuan"


def test_clutter_is_200_a_finding_and_crowding_100_a_time():
    clutter = [finding("COUNTER_CLUTTER", m, zone="desk-1") for m in (10, 50)]
    crowding = finding("COUNTER_CROWDING", 70, zone="line-1")
    fines = finding_fines([*clutter, crowding], CHECKLIST, FINES)
    assert [fines[f.id].yuan for f in clutter] == [200, 200]  # a repeat costs the same
    assert fines[crowding.id].yuan == 100


def test_only_confirmed_findings_cost_money_and_a_dismissed_one_is_no_first():
    pending = finding("PHONE_USE", 10, FindingStatus.PENDING)
    dismissed = finding("PHONE_USE", 20, FindingStatus.DISMISSED)
    confirmed = finding("PHONE_USE", 30)
    fines = finding_fines([pending, dismissed, confirmed], CHECKLIST, FINES)
    assert fines == {confirmed.id: fines[confirmed.id]} and fines[confirmed.id].yuan == 400


def test_an_item_the_branch_was_told_to_fix_is_a_repeat_from_its_first_finding():
    first = finding("LOBBY_MANAGER_ABSENT", 10, zone="lobby_manager")
    told = frozenset({"LOBBY_MANAGER_ABSENT"})
    fines = finding_fines([first], CHECKLIST, FINES, under_order=lambda day: told)
    assert fines[first.id].yuan == 1000


def test_items_without_a_rule_cost_nothing_and_policy_a_names_no_fines():
    missing = finding("FOOTAGE_MISSING", 10, zone="cam")
    assert finding_fines([missing], CHECKLIST, FINES) == {}
    assert load_policy("A").fines == {}


@pytest.mark.parametrize("data", [{}, {"per_incident": 100, "per_point": 200}, {"per_point": -1}])
def test_a_fine_rule_is_one_kind_and_never_negative(data):
    with pytest.raises(ConfigError):
        validate(data, FineRule, "fines.X")
