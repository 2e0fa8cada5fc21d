"""GUARD_IDLE (保安未在大厅走动) on hand-written series: in each whole 30-minute window of
business hours in which the guard was seen at all, they were seen at two patrol points or
more; a point not seen throughout the window may have been visited unseen."""

from __future__ import annotations

from detectors.observations import ZoneObservation, ZonePurpose
from rules.calendar import CoverageGap, ZoneRef
from rules.checklist import load_checklist
from rules.temporal import judge_day
from rules.windowed import patrol_windows
from tests.support.observations import at, business_day, every, zone_items, zones_at

CHECKLIST = zone_items(load_checklist())
GUARD = ZonePurpose.GUARD
HALF_HOUR = 1800
DOOR, ATM = ZoneRef("lobby-1", "door", GUARD), ZoneRef("lobby-1", "atm", GUARD)
VAULT = ZoneRef("lobby-2", "vault", GUARD)


def lobby(times, where, camera="lobby-1", points=("door", "atm")):
    """Frames of `camera`'s patrol points; `where(t)` names the point the guard is at."""
    return [
        zones_at(
            t,
            camera,
            *(ZoneObservation(p, GUARD, int(where(t) == p), where(t) == p) for p in points),
        )
        for t in times
    ]


def idle(result):
    return [(f.start, f.end) for f in result.findings if f.item == "GUARD_IDLE"]


def review(frames, zones=(DOOR, ATM), **kwargs):
    day = kwargs.pop("day", business_day())
    return judge_day(frames, day, CHECKLIST, branch="B", zones=zones, **kwargs)


def test_a_window_with_the_guard_at_one_point_only_is_a_finding():
    def where(t):
        if t < HALF_HOUR:
            return "door"  # the whole first half hour at the door
        if t < 2 * HALF_HOUR:
            return "door" if t < 2400 else "atm"  # the second: door, then the ATM
        return None  # the third: not seen at all, which is not this item

    result = review(lobby(every(0, 3 * HALF_HOUR + 2), where))
    assert idle(result) == [(at(0), at(HALF_HOUR))]
    [finding] = [f for f in result.findings if f.item == "GUARD_IDLE"]
    assert (finding.zone, finding.cameras, finding.confidence) == ("guard", ("lobby-1",), 1.0)
    assert finding.support == tuple(at(t) for t in every(0, HALF_HOUR))  # the door samples


def test_a_visit_is_four_seconds_at_a_point():
    def passing(seconds):
        return lambda t: "atm" if 600 <= t < 600 + seconds else "door"

    assert idle(review(lobby(every(0, HALF_HOUR + 2), passing(2)))) == [(at(0), at(HALF_HOUR))]
    assert idle(review(lobby(every(0, HALF_HOUR + 2), passing(4)))) == []


def test_a_passer_by_out_of_uniform_is_not_the_guard():
    frames = [
        zones_at(
            t,
            "lobby-1",
            ZoneObservation("door", GUARD, 1, True),
            ZoneObservation("atm", GUARD, 1 if 600 <= t < 700 else 0, False),  # a customer
        )
        for t in every(0, HALF_HOUR + 2)
    ]
    assert idle(review(frames)) == [(at(0), at(HALF_HOUR))]


def _two_cameras(vault_times, where):
    door = lobby(every(0, HALF_HOUR + 2), where, points=("door",))
    vault = lobby(vault_times, where, camera="lobby-2", points=("vault",))
    return door + vault


def at_door(t):
    return "door"


def test_a_point_not_seen_throughout_the_window_may_have_been_visited():
    """Unknown is not absent: a minute of the vault camera unseen could hold a visit; two
    seconds could not (a visit is 4 s)."""
    zones = (DOOR, VAULT)
    full = every(0, HALF_HOUR + 2)
    assert idle(review(_two_cameras(full, at_door), zones)) == [(at(0), at(HALF_HOUR))]
    silent = [t for t in full if not 900 <= t < 960]  # a minute with no sample
    assert idle(review(_two_cameras(silent, at_door), zones)) == []
    blind = [CoverageGap(at(900), at(960), "camera blocked", "lobby-2")]
    assert idle(review(_two_cameras(full, at_door), zones, gaps=blind)) == []
    brief = [CoverageGap(at(900), at(902), "decode error", "lobby-2")]
    assert idle(review(_two_cameras(full, at_door), zones, gaps=brief)) == [(at(0), at(HALF_HOUR))]
    # the vault's camera delivered nothing: never judged against the guard
    assert idle(review(_two_cameras([], at_door), zones)) == []


def test_a_site_with_one_patrol_point_is_not_judged():
    frames = lobby(every(0, HALF_HOUR + 2), lambda t: "door", points=("door",))
    assert idle(review(frames, zones=(DOOR,))) == []


def test_windows_start_at_the_opening_and_after_each_exempt_window():
    opening = at(0).timestamp()
    h = HALF_HOUR
    assert patrol_windows([(opening, opening + 2 * h + 600)], h) == [
        (opening, opening + h),
        (opening + h, opening + 2 * h),  # the last 10 minutes make no window
    ]
    lunch = {"GUARD_IDLE": ((at(3 * 3600), at(3 * 3600 + 1200)),)}  # 12:00-12:20
    day = business_day(exempt=lunch)
    frames = lobby(every(3 * 3600 - h, 3 * 3600 + 1200 + h + 2), lambda t: "door")
    assert idle(review(frames, day=day)) == [
        (at(3 * 3600 - h), at(3 * 3600)),
        (at(3 * 3600 + 1200), at(3 * 3600 + 1200 + h)),
    ]


def test_time_before_opening_is_not_patrolled():
    frames = lobby(every(-HALF_HOUR, 2), lambda t: "door")
    assert idle(review(frames)) == []
