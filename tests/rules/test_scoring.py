"""Check scores: capped deductions, provisional vs final, repeats counted double."""

from __future__ import annotations

from datetime import timedelta

from rules.checklist import load_checklist
from rules.findings import Finding, FindingStatus
from rules.scoring import score_check
from tests.support.observations import at

CHECKLIST = load_checklist()
PENDING, CONFIRMED, DISMISSED = FindingStatus


def finding(item, minute=0, status=PENDING, zone="post-1"):
    start = at(60 * minute)
    return Finding(
        item,
        "JS-HA-001",
        ("counter-1",),
        zone,
        start,
        start + timedelta(minutes=6),
        1.0,
        status=status,
    )


def test_deductions_per_occurrence_with_repeats_doubled_and_capped():
    score = score_check([finding("COUNTER_CROWDING", m) for m in range(2)], CHECKLIST)
    [line] = score.provisional_deductions
    assert (line.occurrences, line.repeats, line.points) == (2, 1, 3)  # 1 + 1×2
    assert line.arithmetic == "1×1 + 1×1×2 = 3, cap 5 → 3"
    assert score.provisional == 97
    many = score_check([finding("TELLER_ABSENT", m) for m in range(4)], CHECKLIST)
    assert many.provisional == 90  # 2 + 3×4 = 14, capped at 10


def test_final_counts_only_confirmed_and_dismissed_never_counts():
    findings = [
        finding("TELLER_ABSENT", 0, CONFIRMED),
        finding("PHONE_USE", 10, PENDING),
        finding("COUNTER_CLUTTER", 20, DISMISSED),
    ]
    score = score_check(findings, CHECKLIST)
    assert (score.provisional, score.final) == (96, 98)


def test_an_item_seen_earlier_in_the_period_or_to_be_fixed_counts_double():
    today = [finding("PHONE_USE", 30)]
    assert score_check(today, CHECKLIST).provisional == 98
    earlier = [finding("PHONE_USE", 5)]
    assert score_check(today, CHECKLIST, earlier=earlier).provisional == 96
    dismissed_before = [finding("PHONE_USE", 5, DISMISSED)]
    assert score_check(today, CHECKLIST, earlier=dismissed_before).provisional == 98
    fix = frozenset({"PHONE_USE"})
    assert score_check(today, CHECKLIST, under_order=fix).provisional == 96


def test_scores_never_go_below_zero():
    items = [
        "LOBBY_MANAGER_ABSENT",
        "TELLER_ABSENT",
        "PHONE_USE",
        "COUNTER_CLUTTER",
        "COUNTER_CROWDING",
        "GUARD_IDLE",
    ]
    findings = [finding(item, m, zone=f"z{m}") for item in items for m in range(8)]
    score = score_check(findings, CHECKLIST.model_copy(update={"repeat_factor": 50}))
    assert sum(d.points for d in score.provisional_deductions) == 45  # the caps: 10+10+10+5+5+5
    heavy = CHECKLIST.model_copy(
        update={"items": tuple(i.model_copy(update={"cap": 60}) for i in CHECKLIST.items)}
    )
    assert score_check(findings, heavy).provisional == 0


def test_finding_ids_depend_on_branch_item_zone_and_start_only():
    a = finding("TELLER_ABSENT", 3)
    assert a.id == finding("TELLER_ABSENT", 3, CONFIRMED).id
    assert a.id != finding("TELLER_ABSENT", 4).id
    assert a.id != finding("TELLER_ABSENT", 3, zone="post-2").id
