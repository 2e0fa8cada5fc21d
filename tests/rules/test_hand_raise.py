"""HAND_RAISE (未举手示意) on hand-written series: each time a customer arrives at a window
(its one-metre zone occupied for 5 s after it was empty as long), the teller's hand is up
in some sample within 10 s before or after; a post with more than 3 misses in a business
day is one finding. An arrival around which the teller's pose was not read is unknown."""

from __future__ import annotations

from detectors.observations import ZoneObservation, ZonePurpose
from rules.calendar import CoverageGap, ZoneRef
from rules.checklist import load_checklist
from rules.temporal import judge_day
from rules.timeline import Piece
from rules.windowed import arrivals
from tests.support.observations import at, business_day, every, zone_items, zones_at

DEFAULT = zone_items(load_checklist())
CHECKLIST = DEFAULT.model_copy(
    update={
        "items": tuple(
            i.model_copy(update={"enabled": True}) if i.code == "HAND_RAISE" else i
            for i in DEFAULT.items
        )
    }
)
POST = ZoneRef("counter-1", "post-1", ZonePurpose.TELLER_POST)
LINE = ZoneRef("counter-1", "line-1", ZonePurpose.ONE_METRE_ZONE, post="post-1")
ARRIVALS = (100, 200, 300, 400, 500)  # each customer stays 60 s, then 40 s empty


def counter(arrive=ARRIVALS, raised=(), unread=(), begin=0, end=700, stay=60):
    """Frames every 2 s of the post and its one-metre zone: a customer from each arrival
    for `stay` s; the teller's hand up at the `raised` sample times, unread in `unread`
    spans (the pose not seen: None), down otherwise."""

    def hand(t):
        if any(a <= t < b for a, b in unread):
            return None
        return t in raised

    return [
        zones_at(
            t,
            "counter-1",
            ZoneObservation("post-1", ZonePurpose.TELLER_POST, 1, True, hand_raised=hand(t)),
            ZoneObservation(
                "line-1", ZonePurpose.ONE_METRE_ZONE, int(any(a <= t < a + stay for a in arrive))
            ),
        )
        for t in every(begin, end)
    ]


def review(frames, zones=(POST, LINE), checklist=CHECKLIST, **kwargs):
    return judge_day(frames, business_day(), checklist, branch="B", zones=zones, **kwargs)


def misses(result):
    return [f for f in result.findings if f.item == "HAND_RAISE"]


def test_more_than_three_arrivals_without_a_raised_hand_is_a_finding():
    [finding] = misses(review(counter(raised={206})))  # the second customer was greeted
    assert (finding.zone, finding.cameras) == ("post-1", ("counter-1",))
    assert finding.support == (at(100), at(300), at(400), at(500))
    assert (finding.start, finding.end) == (at(100), at(510))
    assert finding.confidence == 4 / 5
    assert misses(review(counter(raised={206, 296}))) == []  # three misses: not more than 3


def test_the_hand_counts_within_ten_seconds_either_side():
    greeted_early = {90, 192, 310, 410}  # 10 s before, 8 s before, 10 s after, 10 s after
    assert misses(review(counter(raised=greeted_early))) == []
    late = {112, 212, 312, 412}  # 12 s after each: too late
    assert len(misses(review(counter(raised=late)))[0].support) == 5


def test_disabled_by_default_and_judged_only_where_a_one_metre_zone_names_the_post():
    assert misses(review(counter(), checklist=DEFAULT)) == []
    unlinked = ZoneRef("counter-1", "line-1", ZonePurpose.ONE_METRE_ZONE)
    assert misses(review(counter(), zones=(POST, unlinked))) == []
    assert len(misses(review(counter()))) == 1


def test_an_arrival_is_a_change_that_lasts_five_seconds():
    line = [Piece(0, 20, True), Piece(20, 24, False), Piece(24, 30, True), Piece(30, 90, False)]
    assert arrivals(line, 5) == [30]  # a 4 s visit is no arrival; the next customer is
    flicker = [Piece(0, 20, True), Piece(20, 60, False), Piece(60, 62, True), Piece(62, 90, False)]
    assert arrivals(flicker, 5) == [20]  # a sample missed while they stand: the same visit
    assert arrivals([Piece(0, 60, False), Piece(60, 80, True), Piece(80, 99, False)], 5) == [80]
    # occupied when the camera's known time starts: not known to be an arrival
    assert arrivals([Piece(0, 40, False)], 5) == []


def test_customers_who_stay_under_five_seconds_are_not_counted():
    assert misses(review(counter(stay=4))) == []


def test_an_arrival_around_which_the_pose_was_not_read_is_unknown_not_a_miss():
    """Unknown is not absent: the teller turned away (shoulders unseen) around two of the
    five arrivals; three misses remain, not more than three."""
    unread = ((295, 300), (495, 520))
    assert misses(review(counter(unread=unread))) == []
    blind = [CoverageGap(at(395), at(398), "decode error", "counter-1")]  # the post unseen
    assert misses(review(counter(unread=((495, 520),)), gaps=blind)) == []
    assert len(misses(review(counter(unread=((495, 520),))))[0].support) == 4


def test_only_arrivals_in_business_hours_count():
    before = (-500, -400, -300, -200, 100)  # four customers before the 09:00 opening
    assert misses(review(counter(arrive=before, begin=-600, end=400))) == []
