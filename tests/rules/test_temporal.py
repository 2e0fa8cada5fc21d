"""Temporal logic on hand-written observation series (the rules every item follows, docs/scoring.md)."""

from __future__ import annotations

from datetime import timedelta

from detectors.observations import ZonePurpose
from rules.calendar import CoverageGap, ZoneRef
from rules.checklist import load_checklist
from rules.debounce import debounced_violations
from rules.temporal import judge_day
from rules.timeline import Piece
from tests.support.observations import OPEN, at, business_day, every, frame, series, zone_items

CHECKLIST = zone_items(load_checklist())
LOBBY = ZonePurpose.LOBBY_MANAGER


def review(frames, **kwargs):
    kwargs.setdefault("branch", "JS-HA-001")
    return judge_day(frames, kwargs.pop("day", business_day()), CHECKLIST, **kwargs)


def found(result, item):
    return [(f.start, f.end) for f in result.findings if f.item == item]


def absent_between(a, b):
    return lambda t: not (a <= t < b)


def test_a_one_sample_dropout_is_no_violation():
    pieces = [Piece(t, t + 2, t == 100) for t in every(0, 200)]
    assert debounced_violations(pieces, CHECKLIST.hysteresis) == []


def test_a_brief_presence_does_not_split_an_absence():
    # 4 min away, seen for one sample, 4 min away: one 8-minute absence, not two of 4
    frames = series(every(0, 1200), lambda t: not (100 <= t < 580) or t == 340)
    assert found(review(frames), "TELLER_ABSENT") == [(at(100), at(580))]


def test_a_presence_not_confirmed_resumes_the_same_absence():
    # back for 10 s (window share 0.5: ended, not confirmed at 0.6), then away again
    frames = series(every(0, 1200), lambda t: not (100 <= t < 580) or 300 <= t < 310)
    assert found(review(frames), "TELLER_ABSENT") == [(at(100), at(580))]


def test_a_confirmed_return_splits_an_absence():
    frames = series(every(0, 1200), lambda t: not (100 <= t < 780) or 400 <= t < 460)
    assert found(review(frames), "TELLER_ABSENT") == [(at(100), at(400)), (at(460), at(780))]


def _lobby_absence(seconds):
    # the first present sample after the absence falls exactly `seconds` after it began
    times = every(0, 100) + every(100, 100 + seconds) + every(100 + seconds, 1400)
    return series(
        sorted(set(times)),
        absent_between(100, 100 + seconds),
        zone="lm",
        purpose=LOBBY,
        camera="lobby-1",
    )


def test_lobby_manager_absent_9m59s_does_not_trigger_and_10m01s_does():
    assert found(review(_lobby_absence(599)), "LOBBY_MANAGER_ABSENT") == []
    assert found(review(_lobby_absence(601)), "LOBBY_MANAGER_ABSENT") == [(at(100), at(701))]


def test_a_coverage_gap_in_an_absence_never_counts_as_absence():
    frames = series(
        every(0, 1600), absent_between(100, 1500), zone="lm", purpose=LOBBY, camera="lobby-1"
    )
    gap = CoverageGap(at(460), at(820), "camera blocked", camera="lobby-1")
    result = review(frames, gaps=[gap])
    # 1400 s of absence around a 6-minute gap: only the 680 s after it stand as a finding
    assert found(result, "LOBBY_MANAGER_ABSENT") == [(at(820), at(1500))]
    assert any(g.reason == "camera blocked" and g.start == at(460) for g in result.gaps)
    # 360 s before and 500 s after a silence: 860 s absent in all, yet no 10-minute absence
    split = review([f for f in frames if not 460 <= (f.t - OPEN).total_seconds() < 1000])
    assert found(split, "LOBBY_MANAGER_ABSENT") == []


def test_a_short_hole_inside_an_absence_is_one_incident_and_stays_unknown():
    """A motion-only recorder's 40-s hole with the post empty on both sides: one finding
    (not two), its time still unknown, not absence (the gap is reported)."""
    times = [t for t in every(0, 1200) if not 400 < t < 440]
    result = review(series(times, absent_between(100, 1100)))
    [finding] = [f for f in result.findings if f.item == "TELLER_ABSENT"]
    assert (finding.start, finding.end, finding.confidence) == (at(100), at(1100), 1.0)
    assert [(g.start, g.end, g.reason) for g in result.gaps][0] == (at(400), at(440), "no samples")


def test_a_hole_is_not_bridged_when_the_state_differs_or_it_is_long():
    # manned before the hole, empty after it: the absence starts after the hole
    times = [t for t in every(0, 1600) if not 400 < t < 440]
    after = review(series(times, absent_between(440, 1500)))
    assert found(after, "TELLER_ABSENT") == [(at(440), at(1500))]
    # empty on both sides of a 4-minute hole (longer than sampling.bridge_s): two
    times = [t for t in every(0, 1600) if not 400 < t < 640]
    assert CHECKLIST.sampling.bridge_s < 240
    split = review(series(times, absent_between(100, 1500)))
    assert found(split, "TELLER_ABSENT") == [(at(100), at(400)), (at(640), at(1500))]


def test_findings_continue_across_segment_boundaries():
    # two recording segments 4 s apart: less than the max spacing, so one stretch of time
    times = every(0, 500) + every(504, 1000)
    assert found(review(series(times, absent_between(200, 800))), "TELLER_ABSENT") == [
        (at(200), at(800))
    ]


def test_only_business_hours_count():
    before = series(every(-1800, 600), absent_between(-1800, 200))
    assert found(review(before), "TELLER_ABSENT") == []  # 3m20s of it in business hours
    late = [frame(t, present=t < 28200) for t in every(27600, 30000)]
    assert found(review(late), "TELLER_ABSENT") == [(at(28200), at(28800))]  # until 17:00


def test_exempt_windows_are_honoured_per_item():
    noon = 3 * 3600
    frames = series(every(noon - 1200, noon + 4000), absent_between(noon - 600, noon + 2400))
    lunch = {"TELLER_ABSENT": ((at(noon), at(noon + 1800)),)}
    result = review(frames, day=business_day(exempt=lunch))
    assert found(result, "TELLER_ABSENT") == [
        (at(noon - 600), at(noon)),
        (at(noon + 1800), at(noon + 2400)),
    ]
    only_lunch = series(every(noon - 600, noon + 2400), absent_between(noon, noon + 1800))
    assert found(review(only_lunch, day=business_day(exempt=lunch)), "TELLER_ABSENT") == []
    assert found(review(only_lunch), "TELLER_ABSENT") == [(at(noon), at(noon + 1800))]


def _two_lobby_cameras(seen_by_2):
    one = series(
        every(0, 1600), absent_between(100, 1500), zone="lm-1", purpose=LOBBY, camera="lobby-1"
    )
    two = series(every(1, 1601), seen_by_2, zone="lm-2", purpose=LOBBY, camera="lobby-2")
    return one + two


def test_lobby_manager_seen_by_any_lobby_camera_is_present():
    assert found(review(_two_lobby_cameras(lambda t: True)), "LOBBY_MANAGER_ABSENT") == []
    result = review(_two_lobby_cameras(absent_between(0, 2000)))
    [finding] = [f for f in result.findings if f.item == "LOBBY_MANAGER_ABSENT"]
    assert finding.cameras == ("lobby-1", "lobby-2")
    assert finding.zone == "lobby_manager"
    assert (finding.start, finding.end) == (at(100), at(1500))


def test_a_blind_camera_makes_the_post_unknown_not_absent():
    only_one = _two_lobby_cameras(absent_between(0, 2000))[:800]  # lobby-2 delivered nothing
    zones = [ZoneRef("lobby-1", "lm-1", LOBBY), ZoneRef("lobby-2", "lm-2", LOBBY)]
    result = review(only_one, zones=zones)
    assert found(result, "LOBBY_MANAGER_ABSENT") == []
    assert result.coverage["lobby-2"] == 0
    assert [(g.camera, g.reason) for g in result.gaps if g.camera == "lobby-2"] == [
        ("lobby-2", "no samples")
    ]


def test_phone_use_needs_10_seconds_within_30():
    def phone(spans):
        return [
            frame(t, present=True, phone=any(a <= t < b for a, b in spans)) for t in every(0, 300)
        ]

    assert found(review(phone([(100, 110)])), "PHONE_USE") == [(at(100), at(110))]
    assert found(review(phone([(100, 108)])), "PHONE_USE") == []
    assert found(review(phone([(100, 106), (120, 126)])), "PHONE_USE") == [(at(100), at(126))]
    assert found(review(phone([(100, 106), (160, 166)])), "PHONE_USE") == []


def _counter(seconds, **fields):
    return [
        frame(
            t,
            zone="desk-1",
            purpose=ZonePurpose.COUNTER_SURFACE,
            **(fields if 100 <= t < 100 + seconds else {}),
        )
        for t in every(0, 100 + seconds + 200)
    ]


def test_counter_clutter_by_ratio_or_objects_for_5_minutes():
    assert found(review(_counter(300, clutter=0.4)), "COUNTER_CLUTTER") == [(at(100), at(400))]
    assert found(review(_counter(300, clutter_objects=1)), "COUNTER_CLUTTER") == [
        (at(100), at(400))
    ]
    assert found(review(_counter(290, clutter_objects=2)), "COUNTER_CLUTTER") == []
    assert found(review(_counter(600, clutter=0.05)), "COUNTER_CLUTTER") == []


def test_counter_crowding_more_than_one_person_for_a_minute():
    def crowd(seconds):
        return [
            frame(
                t,
                zone="line-1",
                purpose=ZonePurpose.ONE_METRE_ZONE,
                persons=3 if 100 <= t < 100 + seconds else 1,
            )
            for t in every(0, 400)
        ]

    assert found(review(crowd(60)), "COUNTER_CROWDING") == [(at(100), at(160))]
    assert found(review(crowd(50)), "COUNTER_CROWDING") == []


def test_finding_records_are_stable_and_carry_their_evidence():
    frames = series(every(0, 1000), absent_between(100, 500))
    first, again = review(frames), review(list(reversed(frames)))
    assert [f.id for f in first.findings] == [f.id for f in again.findings]
    [finding] = first.findings
    assert (finding.item, finding.branch, finding.cameras, finding.zone) == (
        "TELLER_ABSENT",
        "JS-HA-001",
        ("counter-1",),
        "post-1",
    )
    assert finding.duration == timedelta(seconds=400)
    assert finding.confidence == 1.0
    assert finding.support == tuple(at(t) for t in every(100, 500))
