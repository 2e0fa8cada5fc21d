"""Property tests: score bounds, review monotonicity, and unknown time never judged."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.calendar import CoverageGap
from rules.checklist import load_checklist
from rules.findings import Finding, FindingStatus
from rules.fines import stakes
from rules.scoring import score_check
from rules.temporal import judge_day
from tests.support.observations import at, business_day, frame

CHECKLIST = load_checklist()
ITEMS = [item.code for item in CHECKLIST.items]

findings_st = st.lists(
    st.builds(
        lambda item, minute, zone, status: Finding(
            item, "B", ("cam",), zone, at(60 * minute), at(60 * minute + 30), 1.0, status=status
        ),
        st.sampled_from(ITEMS),
        st.integers(0, 479),
        st.sampled_from(["z1", "z2"]),
        st.sampled_from(list(FindingStatus)),
    ),
    max_size=40,
)
fix_st = st.frozensets(st.sampled_from(ITEMS))


@given(findings_st, findings_st, fix_st)
def test_scores_stay_within_0_and_100(today, earlier, fix):
    score = score_check(today, CHECKLIST, earlier=earlier, under_order=fix)
    assert 0 <= score.final <= 100
    assert 0 <= score.provisional <= 100
    assert score.provisional <= score.final


@given(findings_st, findings_st, fix_st, st.data())
def test_dismissing_never_lowers_and_confirming_never_raises(today, earlier, fix, data):
    before = score_check(today, CHECKLIST, earlier=earlier, under_order=fix)
    pool = today + earlier
    if not pool:
        return
    index = data.draw(st.integers(0, len(pool) - 1))
    for status, direction in ((FindingStatus.DISMISSED, 1), (FindingStatus.CONFIRMED, -1)):
        changed = list(pool)
        changed[index] = replace(changed[index], status=status)
        after = score_check(
            changed[: len(today)], CHECKLIST, earlier=changed[len(today) :], under_order=fix
        )
        for old, new in ((before.provisional, after.provisional), (before.final, after.final)):
            assert (new - old) * direction >= 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 40), st.floats(0.5, 25), st.booleans(), st.booleans()),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 600)), max_size=3),
)
def test_findings_never_overlap_unknown_or_unjudged_time(stretches, blocked):
    """Stretches of equal samples; spacings over 20 s become silences of minutes."""
    times, t = [], 3600.0 * 2.9
    frames = []
    for count, step, present, phone in stretches:
        for _ in range(count):
            frames.append(frame(t, present=present, phone=phone))
            times.append(t)
            t += step * 8 if step > 20 else step
    gaps = [
        CoverageGap(at(times[0] + a), at(times[0] + a + n), "dark", camera="counter-1")
        for a, n in blocked
    ]
    lunch = {"TELLER_ABSENT": ((at(3 * 3600), at(3 * 3600 + 900)),)}
    day = business_day(exempt=lunch)
    checklist = CHECKLIST.model_copy(
        update={
            "items": tuple(
                i.model_copy(update={"trigger": i.trigger.model_copy(update={"duration_s": 6})})
                if i.code == "TELLER_ABSENT"
                else i
                for i in CHECKLIST.items
            )
        }
    )
    result = judge_day(frames, day, checklist, branch="B", gaps=gaps)
    silences = [
        (at(a), at(b))
        for a, b in zip(times, times[1:], strict=False)
        if b - a > checklist.sampling.max_gap_s
    ]
    unknown = silences + [(g.start, g.end) for g in gaps] + [(g.start, g.end) for g in result.gaps]
    for f in result.findings:
        assert day.opening <= f.start < f.end <= day.closing
        if f.item == "FOOTAGE_MISSING":  # the one item about unknown time: inside it
            assert f.end - f.start >= timedelta(minutes=10)
            assert _covered((f.start, f.end), [(g.start, g.end) for g in result.gaps])
            continue
        assert f.end - f.start >= timedelta(seconds=6)
        for start, end in unknown:
            # outside it, or a short hole it bridges: the same state on both sides
            bridged = f.start < start and end < f.end
            assert (
                f.end <= start
                or f.start >= end
                or (bridged and (end - start).total_seconds() <= checklist.sampling.bridge_s)
            )
        if f.item == "TELLER_ABSENT":
            ((ex_start, ex_end),) = lunch["TELLER_ABSENT"]
            assert f.end <= ex_start or f.start >= ex_end


def _covered(span, intervals) -> bool:
    """Whether `span` lies inside the union of `intervals`."""
    cursor = span[0]
    for a, b in sorted(intervals):
        if a <= cursor < b:
            cursor = b
    return cursor >= span[1]


month_st = st.lists(
    st.builds(
        lambda item, day, minute, status: Finding(
            item,
            "B",
            ("cam",),
            "z1",
            at(86400 * day + 60 * minute),
            at(86400 * day + 60 * minute + 30),
            1.0,
            status=status,
        ),  # fmt: skip
        st.sampled_from(ITEMS),
        st.integers(0, 3),
        st.integers(0, 479),
        st.sampled_from(list(FindingStatus)),
    ),
    max_size=30,
    unique_by=lambda f: f.id,
)


@settings(max_examples=80, deadline=None)
@given(month_st, st.lists(fix_st, min_size=4, max_size=4), st.data())
def test_a_findings_stake_is_what_the_final_score_counts_and_what_confirming_does(
    month, told, data
):
    """rules/fines.stakes (what the pages, the notice and the fines show) and the final
    score (rules/scoring.score_check, day by day as the store counts it) agree: the
    confirmed findings' stakes add up to each item's deduction before its cap, and a
    finding not yet confirmed is staked as it counts once confirmed."""
    day_of = lambda f: f.start.date()  # noqa: E731
    first = at(0).date()
    told_on = lambda day: told[(day - first).days]  # noqa: E731
    staked = stakes(month, CHECKLIST, {}, under_order=told_on, day_of=day_of)
    for day in sorted({day_of(f) for f in month}):
        todays = [f for f in month if day_of(f) == day]
        earlier = [f for f in month if day_of(f) < day]
        score = score_check(todays, CHECKLIST, earlier=earlier, under_order=told_on(day))
        for line in score.final_deductions:
            counted = [
                staked[f.id]
                for f in todays
                if f.item == line.item and f.status is FindingStatus.CONFIRMED
            ]
            assert line.repeats == sum(s.repeat for s in counted)
            assert line.points == min(sum(s.points for s in counted), CHECKLIST.item(line.item).cap)
    undecided = [f for f in month if f.status is not FindingStatus.CONFIRMED]
    if undecided:
        pick = data.draw(st.sampled_from(undecided))
        confirmed = [replace(f, status=FindingStatus.CONFIRMED) if f is pick else f for f in month]
        after = stakes(confirmed, CHECKLIST, {}, under_order=told_on, day_of=day_of)
        assert after[pick.id] == staked[pick.id]
