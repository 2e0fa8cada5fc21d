"""MORNING_MEETING (晨会未开) on hand-written series: three or more persons in the meeting
zone for ten minutes on end in the window before opening (default 08:15-08:55 for a 09:00
opening), else one finding for the day — unless the meeting could have been held in time
no camera saw."""

from __future__ import annotations

from datetime import timedelta

from detectors.observations import ZoneObservation, ZonePurpose
from rules.calendar import CoverageGap, ZoneRef
from rules.checklist import load_checklist
from rules.temporal import judge_day
from tests.support.observations import (
    OPEN,
    at,
    business_day,
    every,
    frame,
    zone_items,
    zones_at,
)

CHECKLIST = zone_items(load_checklist())
HUDDLE = ZoneRef("lobby-1", "huddle", ZonePurpose.MEETING)
WINDOW = (-45 * 60, -5 * 60)  # seconds after opening: 08:15 to 08:55


def meeting(persons, times=None, camera="lobby-1"):
    """The meeting zone sampled every 2 s from 08:15 to 09:01; `persons(t)` in it."""
    times = every(-45 * 60, 60) if times is None else times
    return [
        frame(t, camera=camera, zone="huddle", purpose=ZonePurpose.MEETING, persons=persons(t))
        for t in times
    ]


def between(a, b, inside=3, outside=0):
    return lambda t: inside if a <= t < b else outside


def missed(result):
    return [(f.start, f.end) for f in result.findings if f.item == "MORNING_MEETING"]


def review(frames, zones=(HUDDLE,), checklist=CHECKLIST, **kwargs):
    day = kwargs.pop("day", business_day())
    return judge_day(frames, day, checklist, branch="B", zones=zones, **kwargs)


START = -40 * 60  # 08:20


def test_three_persons_for_ten_minutes_hold_the_meeting_and_fewer_do_not():
    assert missed(review(meeting(between(START, START + 600)))) == []
    short = review(meeting(between(START, START + 590)))
    assert missed(short) == [(at(WINDOW[0]), at(WINDOW[1]))]
    assert missed(review(meeting(between(START, START + 1200, inside=2)))) == [
        (at(WINDOW[0]), at(WINDOW[1]))
    ]


def test_the_finding_shows_the_window_and_the_samples_without_a_meeting():
    [finding] = review(meeting(between(START, START + 590))).findings
    assert (finding.item, finding.zone, finding.cameras) == (
        "MORNING_MEETING",
        "meeting",
        ("lobby-1",),
    )
    assert finding.support == tuple(at(t) for t in every(*WINDOW) if not START <= t < START + 590)
    assert finding.confidence == (2400 - 590) / 2400


def test_a_meeting_briefly_thinned_by_occlusion_is_one_meeting():
    hidden = {START + 300, START + 302}  # someone hidden behind a colleague for two samples

    def persons(t):
        return 2 if t in hidden else between(START, START + 600)(t)

    assert missed(review(meeting(persons))) == []


def test_a_meeting_after_the_window_does_not_count():
    # 08:50-09:00: ten minutes, but only five of them before 08:55
    assert missed(review(meeting(between(-600, 0)))) == [(at(WINDOW[0]), at(WINDOW[1]))]


def test_unknown_time_that_could_hold_the_meeting_is_no_finding():
    """Unknown is not absent: 12 minutes unseen could hold it, 5 could not, and 5 unseen
    beside 6 minutes of meeting could."""
    nobody = between(0, 0)
    gap = [t for t in every(-45 * 60, 60) if not -2400 <= t < -1680]  # 08:20-08:32 unseen
    assert missed(review(meeting(nobody, gap))) == []
    short_gap = [t for t in every(-45 * 60, 60) if not -2400 <= t < -2100]
    assert missed(review(meeting(nobody, short_gap))) == [(at(WINDOW[0]), at(WINDOW[1]))]
    blocked = [CoverageGap(at(-2100), at(-1800), "camera blocked", "lobby-1")]
    six = meeting(between(-2460, -2100))  # 08:19-08:25, then 08:25-08:30 blocked
    assert missed(review(six, gaps=blocked)) == []
    assert missed(review(six)) == [(at(WINDOW[0]), at(WINDOW[1]))]


def test_a_camera_sampled_only_in_business_hours_never_misses_the_meeting():
    assert missed(review(meeting(between(0, 0), every(0, 3600)))) == []
    assert missed(review([])) == []


def test_a_branch_without_a_meeting_zone_is_not_judged():
    post = ZoneRef("counter-1", "post-1", ZonePurpose.TELLER_POST)
    frames = [frame(t, present=True) for t in every(-45 * 60, 600)]
    assert missed(review(frames, zones=(post,))) == []


def test_the_site_sets_the_window_and_an_exemption_can_lift_it():
    day = business_day(meeting_before=(30, 0))  # 08:30-09:00
    assert day.meeting == (OPEN - timedelta(minutes=30), OPEN)
    late = meeting(between(-600, 0))  # 08:50-09:00
    assert missed(review(late, day=day)) == []
    assert missed(review(late)) == [(at(WINDOW[0]), at(WINDOW[1]))]
    lifted = business_day(exempt={"MORNING_MEETING": ((at(-3600), OPEN),)})
    assert missed(review(late, day=lifted)) == []


def test_coverage_and_the_business_items_ignore_the_morning():
    """The meeting camera is sampled from 08:15; business hours are still 09:00-17:00 for
    every other item and for coverage: a silence before opening is no missing footage and
    an empty post before opening no absence."""
    full = load_checklist()  # with FOOTAGE_MISSING
    post = ZoneRef("lobby-1", "post-1", ZonePurpose.TELLER_POST)
    times = [
        t for t in every(-45 * 60, 8 * 3600 + 2) if not -2400 <= t < -1200
    ]  # 08:20-08:40 silent
    frames = [
        zones_at(
            t,
            "lobby-1",
            ZoneObservation("huddle", ZonePurpose.MEETING, persons=between(-1200, -500)(t)),
            ZoneObservation("post-1", ZonePurpose.TELLER_POST, present=t >= 0),  # empty till 09:00
        )
        for t in times
    ]
    result = review(frames, zones=(HUDDLE, post), checklist=full)
    assert result.findings == ()
    assert result.coverage == {"lobby-1": 1.0}
    assert result.gaps == ()
