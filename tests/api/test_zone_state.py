"""One answer to "what is this zone's state at this sample" (issue 24 part 3): the rules
(rules/timeline.camera_samples as rules/temporal.py calls it), a finding's timeline
(api/timeline.judged_samples: its dots and its bars), the report's chart
(pipeline/report/charts.zone_tracks) and the evidence overlay
(pipeline/evidence/overlay.ZoneAnnotator) all ask ChecklistItem.violated_in, per item.

Before, the bars and the overlay used "any enabled item is violated": on a PHONE_USE
finding's timeline an empty post drew red bars while its sample dots were green.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from api.timeline import judged_samples
from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from pipeline.evidence.overlay import ZoneAnnotator
from pipeline.report.charts import zone_tracks
from rules.checklist import load_checklist
from rules.timeline import camera_samples
from tests.support.observations import at, frame

CHECKLIST = load_checklist()
ZONES = {
    "post-1": ZonePurpose.TELLER_POST,
    "lm": ZonePurpose.LOBBY_MANAGER,
    "desk-1": ZonePurpose.COUNTER_SURFACE,
    "line-1": ZonePurpose.ONE_METRE_ZONE,
    "door": ZonePurpose.GUARD,
}

observation_st = st.builds(
    lambda zone_id, persons, present, phone, clutter, objects: ZoneObservation(
        zone_id, ZONES[zone_id], persons, present, phone, clutter=clutter, clutter_objects=objects
    ),
    st.sampled_from(sorted(ZONES)),
    st.integers(0, 3),
    st.booleans(),
    st.booleans(),
    st.sampled_from([0.0, 0.05, 0.1, 0.15, 0.6]),
    st.integers(0, 2),
)
frames_st = st.lists(
    st.tuples(st.integers(0, 600), st.sampled_from(["cam-1", "cam-2"]), st.lists(observation_st)),
    max_size=30,
    unique_by=lambda f: (f[0], f[1]),
).map(
    lambda raw: [
        FrameObservation(at(s), camera, {z.zone_id: z for z in zones}) for s, camera, zones in raw
    ]
)


@settings(max_examples=120, deadline=None)
@given(
    frames_st, st.sampled_from([item.code for item in CHECKLIST.items]), st.sampled_from([5, 30])
)
def test_a_findings_timeline_states_agree_with_its_item_as_the_rules_judge_it(frames, code, gap):
    item = CHECKLIST.item(code)
    samples, tracks = judged_samples(frames, [item], gap)
    annotator = ZoneAnnotator(CHECKLIST, code)
    by_zone = {}
    for s in samples:
        by_zone.setdefault((s.camera, s.zone), []).append(s)
    assert {(t.camera, t.zone_id) for t in tracks} == set(by_zone)
    for track in tracks:
        dots = by_zone[(track.camera, track.zone_id)]
        # each bar starts at its sample and has that sample's state: the dots and bars agree
        assert [(a, bad) for a, _, bad in track.states] == [(d.t, d.violating) for d in dots]
        rules = camera_samples(
            [f for f in frames if f.camera == track.camera], frozenset({track.zone_id}),
            item.violated_in,
        )  # fmt: skip
        judged = {(p.t, p.violating) for p in rules if p.violating is not None}
        assert judged == {(d.t.timestamp(), d.violating) for d in dots}  # as the rules judge
    for f in frames:
        for zone in f.zones.values():
            [dot] = [d for d in by_zone[(f.camera, zone.zone_id)] if d.t == f.t]
            assert annotator.violated(zone) == dot.violating == item.violated_in(zone)
            # the report's chart over every enabled item: red where one of them is violated
            assert ZoneAnnotator(CHECKLIST).violated(zone) == bool(CHECKLIST.violated_items(zone))


def test_an_empty_post_is_no_phone_use_but_is_a_teller_absence():
    """The issue's timeline: a PHONE_USE finding's post left empty for a minute."""
    frames = [frame(s, present=s >= 60, persons=int(s >= 60)) for s in range(0, 120, 10)]
    phone, absent = CHECKLIST.item("PHONE_USE"), CHECKLIST.item("TELLER_ABSENT")
    samples, [track] = judged_samples(frames, [phone], 30)
    assert not any(s.violating for s in samples) and not any(bad for *_, bad in track.states)
    _, [track] = judged_samples(frames, [absent], 30)
    assert [bad for *_, bad in track.states] == [True] * 6 + [False] * 6
    [day] = zone_tracks(frames, CHECKLIST.enabled, {}, {}, 30)  # the report: every item
    assert [bad for *_, bad in day.states] == [True] * 6 + [False] * 6
    empty = frames[0].zones["post-1"]
    assert CHECKLIST.violated_items(empty) == ("TELLER_ABSENT",)
    assert not ZoneAnnotator(CHECKLIST, "PHONE_USE").violated(empty)
    assert ZoneAnnotator(CHECKLIST, "TELLER_ABSENT").violated(empty)
