"""Unknown is not perfect: long stretches a camera did not see because footage was not
provided are FOOTAGE_MISSING findings (files there but unreadable are unknown, not
charged), and a check below the minimum coverage is
incomplete: it counts for no period mean, rank, reward or commendation."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from detectors.observations import ZonePurpose
from rules.assessment import INCOMPLETE, assessment_rows
from rules.calendar import CoverageGap, ZoneRef
from rules.checklist import load_checklist
from rules.policies import load_policy
from rules.scoring import score_check
from rules.temporal import judge_day
from tests.support.observations import CLOSE, OPEN, at, business_day, every, series

CHECKLIST = load_checklist()
POST = ZoneRef("counter-1", "post-1", ZonePurpose.TELLER_POST)
LOBBY = ZoneRef("lobby-1", "lm-desk", ZonePurpose.LOBBY_MANAGER)


def judged(frames, gaps=(), zones=(POST,), **day):
    return judge_day(
        frames, business_day(**day), CHECKLIST, branch="B", zones=zones, gaps=list(gaps)
    )


def missing(result):
    return [(f.cameras, f.start, f.end) for f in result.findings if f.item == "FOOTAGE_MISSING"]


def present_all_day(*holes):
    """The post manned, sampled every 2 s all day except in `holes` (seconds)."""
    times = [t for t in every(0, 8 * 3600) if not any(a <= t < b for a, b in holes)]
    return series(times, lambda t: True)


def test_a_gap_of_ten_minutes_or_more_is_a_finding_and_a_shorter_one_is_not():
    frames = present_all_day((3600, 3600 + 900), (7200, 7200 + 540))
    gaps = [
        CoverageGap(at(3600), at(3600 + 900), "no file", "counter-1"),
        CoverageGap(at(7200), at(7200 + 540), "truncated", "counter-1"),
    ]
    result = judged(frames, gaps)
    # the samples on either side of a reported gap end and start it (2 s grid)
    assert missing(result) == [(("counter-1",), at(3598), at(4500))]
    [finding] = [f for f in result.findings if f.item == "FOOTAGE_MISSING"]
    assert finding.zone == "counter-1" and finding.confidence == 1.0
    assert [f.item for f in result.findings] == ["FOOTAGE_MISSING"]  # never an absence


def test_adjacent_gaps_of_different_reasons_are_one_stretch_of_missing_footage():
    frames = present_all_day((3600, 3600 + 660))
    gaps = [
        CoverageGap(at(3600), at(3600 + 300), "no file", "counter-1"),
        CoverageGap(at(3600 + 300), at(3600 + 660), "truncated", "counter-1"),
    ]
    [(_, start, end)] = missing(judged(frames, gaps))
    assert end - start >= timedelta(seconds=660)


@pytest.mark.parametrize("reason", ["unreadable", "decode error", "unit failed: crashed"])
def test_footage_that_is_there_but_could_not_be_read_is_unknown_and_not_charged(reason):
    frames = present_all_day((3600, 3600 + 1200))
    gaps = [
        CoverageGap(at(3600), at(3600 + 300), "no file", "counter-1"),
        CoverageGap(at(3600 + 300), at(3600 + 1200), reason, "counter-1"),
    ]
    result = judged(frames, gaps)
    assert missing(result) == []  # 5 min not provided: under the 10-min trigger
    # still unknown, with why (besides the samples' 2-s slivers at its edges)
    long = [g.reason for g in result.gaps if g.end - g.start > timedelta(seconds=10)]
    assert long == ["no file", reason]
    assert result.coverage["counter-1"] < 1 - 1100 / (8 * 3600)
    assert [f.item for f in result.findings] == []  # and never an absence


def test_a_silence_between_samples_is_missing_footage_too():
    """No reason was reported (the recorder wrote nothing): still unknown, still judged."""
    [(_, start, end)] = missing(judged(present_all_day((3600, 4400))))
    assert (start, end) == (at(3598), at(4400))


def test_a_camera_that_showed_nothing_all_day_is_missing_all_day():
    result = judged(present_all_day(), zones=(POST, LOBBY))
    assert missing(result) == [(("lobby-1",), OPEN, CLOSE)]
    assert result.coverage["lobby-1"] == 0.0


def test_an_exempt_window_of_the_item_is_not_judged():
    lunch = {"FOOTAGE_MISSING": ((at(3600), at(3600 + 1800)),)}
    result = judged(present_all_day((3600, 3600 + 1500)), exempt=lunch)
    assert missing(result) == []


def test_the_finding_costs_points_while_pending_and_only_a_confirmed_one_is_final():
    result = judged(present_all_day(), zones=(POST, LOBBY))
    score = score_check(result.findings, CHECKLIST)
    assert (score.provisional, score.final) == (98, 100)


def test_a_check_below_the_minimum_coverage_is_incomplete():
    assert CHECKLIST.complete(0.9) and CHECKLIST.complete(0.95)
    assert not CHECKLIST.complete(0.89) and not CHECKLIST.complete(0.0)


def _scores(rows):
    return pd.DataFrame(rows, columns=["branch", "region", "date", "score", "coverage"])


# A month of two branches: BLIND had no footage at all (score 100, coverage 0), FULL was
# seen all day and lost 5 points. Today BLIND would rank first and be rewarded.
MONTH = [("BLIND", "r1", date(2026, 10, d), 100.0, 0.0) for d in (5, 6)] + [
    ("FULL", "r1", date(2026, 10, d), 95.0, 1.0) for d in (5, 6)
]


@pytest.mark.parametrize("policy", ["A", "B"])
def test_no_branch_ranks_or_is_rewarded_on_footage_nobody_saw(policy):
    label = "2026-10" if policy == "A" else "2026-S3"
    _, rows = assessment_rows(_scores(MONTH), load_policy(policy), label, 0.9)
    by = {r.branch: r for r in rows}
    assert by["FULL"].rank == 1 and by["FULL"].region_rank == 1 and by["FULL"].checks == 2
    blind = by["BLIND"]
    assert (blind.outcome, blind.rank, blind.region_rank, blind.yuan) == (INCOMPLETE, None, None, 0)
    assert (blind.checks, blind.incomplete_checks, blind.coverage) == (0, 2, 0.0)
    assert blind.score is None and blind.missing_days == 2  # no score where nothing was seen
    assert "coverage 0% < 90%" in blind.rule


@pytest.mark.parametrize("policy", ["A", "B"])
def test_an_incomplete_check_is_a_missing_day_and_the_branch_is_not_ranked(policy):
    """TOP's half-seen perfect day neither lifts its mean nor lets it rank on its one
    complete day (SPEC: missing days count)."""
    label = "2026-10" if policy == "A" else "2026-S3"
    month = [
        ("TOP", "r1", date(2026, 10, 5), 91.0, 1.0),
        ("TOP", "r1", date(2026, 10, 6), 100.0, 0.5),  # half the day unseen
        ("OTHER", "r1", date(2026, 10, 5), 93.0, 0.95),
    ]
    _, rows = assessment_rows(_scores(month), load_policy(policy), label, 0.9)
    by = {r.branch: r for r in rows}
    top = by["TOP"]
    assert (top.score, top.checks, top.incomplete_checks, top.missing_days) == (91.0, 1, 1, 1)
    assert (top.outcome, top.rank, top.yuan) == (INCOMPLETE, None, 0)
    assert by["OTHER"].rank == 1 and by["OTHER"].missing_days == 0


def test_scores_without_coverage_are_all_complete():
    """A CSV of scores from elsewhere (no coverage column) is assessed as before."""
    frame = _scores(MONTH).drop(columns="coverage")
    _, rows = assessment_rows(frame, load_policy("A"), "2026-10", 0.9)
    assert [r.branch for r in rows if r.rank == 1] == ["BLIND"]
