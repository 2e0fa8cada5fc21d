"""Per-zone observations from detections, on constructed frames where the truth is known."""

from datetime import UTC, datetime

import numpy as np
import pytest

from detectors.analyzer import CameraAnalyzer
from detectors.detections import COCO80, Detections
from detectors.motion import MotionGate
from detectors.observations import ZonePurpose
from detectors.observer import ZoneObserver, ZoneSpec
from detectors.phone import PhoneVerdict

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
W, H = 640, 360
PERSON, PHONE, CUP = COCO80.index("person"), COCO80.index("cell phone"), COCO80.index("cup")

POST = ZoneSpec("post-1", ZonePurpose.TELLER_POST, ((0.0, 0.0), (0.5, 0.0), (0.5, 0.6), (0.0, 0.6)))
LINE = ZoneSpec(
    "line-1", ZonePurpose.ONE_METRE_ZONE, ((0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.5, 1.0))
)


def dets(*rows) -> Detections:
    if not rows:
        return Detections.empty()
    boxes, confs, classes = zip(*rows, strict=True)
    return Detections.from_arrays(boxes, confs, classes)


def observe(zones, frame, detections):
    return ZoneObserver("cam", zones).observe(T0, frame, detections).zones


def test_teller_present_and_phone_at_chest():
    frame = np.zeros((H, W, 3), np.uint8)
    teller = ([60, 20, 220, 330], 0.9, PERSON)
    held_phone = ([120, 110, 150, 150], 0.6, PHONE)  # in front of the chest
    zones = observe([POST], frame, dets(teller, held_phone))
    assert zones["post-1"].present and zones["post-1"].persons == 1
    assert zones["post-1"].phone and zones["post-1"].phone_conf == pytest.approx(0.6)


def test_phone_on_the_desk_or_with_a_customer_is_not_use():
    frame = np.zeros((H, W, 3), np.uint8)
    teller = ([60, 20, 220, 330], 0.9, PERSON)
    desk_phone = ([240, 300, 270, 330], 0.8, PHONE)  # beside the teller, not held
    low_phone = ([120, 290, 150, 320], 0.8, PHONE)  # at the teller's knees: below the torso
    customer = ([420, 100, 560, 350], 0.9, PERSON)
    customers_phone = ([470, 150, 500, 190], 0.9, PHONE)
    zones = observe([POST], frame, dets(teller, desk_phone, low_phone, customer, customers_phone))
    assert zones["post-1"].present and not zones["post-1"].phone


def test_empty_post_and_weak_person():
    frame = np.zeros((H, W, 3), np.uint8)
    assert not observe([POST], frame, dets())["post-1"].present
    weak = ([60, 20, 220, 330], 0.2, PERSON)  # below the person threshold
    assert not observe([POST], frame, dets(weak))["post-1"].present


def test_crowding_counts_feet_in_the_line_zone():
    frame = np.zeros((H, W, 3), np.uint8)
    inside = [([400 + 60 * i, 100, 450 + 60 * i, 300], 0.8, PERSON) for i in range(3)]
    outside = ([400, 20, 450, 150], 0.8, PERSON)  # feet above the zone
    assert observe([LINE], frame, dets(*inside, outside))["line-1"].persons == 3


def test_uniform_reference_picks_the_lobby_manager():
    frame = np.full((H, W, 3), 200, np.uint8)
    navy, red = (68, 42, 31), (40, 40, 200)
    frame[40:330, 60:200] = navy
    frame[40:330, 400:540] = red
    box_navy = ([60, 40, 200, 330], 0.9, PERSON)
    box_red = ([400, 40, 540, 330], 0.9, PERSON)
    whole = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    lm = ZoneSpec("lm", ZonePurpose.LOBBY_MANAGER, whole, uniform_bgr=navy, uniform_tolerance=20)
    assert observe([lm], frame, dets(box_navy, box_red))["lm"].present
    assert not observe([lm], frame, dets(box_red))["lm"].present
    assert observe([lm], frame, dets(box_red))["lm"].persons == 1


def _table() -> np.ndarray:
    rng = np.random.default_rng(1)
    table = np.full((H, W, 3), 180, np.uint8)
    table += rng.integers(0, 20, (H, W, 1), dtype=np.uint8)  # wood grain-ish texture
    return table


COUNTER = ZoneSpec(
    "desk-1",
    ZonePurpose.COUNTER_SURFACE,
    ((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)),
    reference=_table(),
)


def test_clean_counter_under_changed_lighting_is_clean():
    darker = (_table() * 0.8).astype(np.uint8)
    obs = observe([COUNTER], darker, dets())["desk-1"]
    assert obs.clutter < 0.01 and obs.clutter_objects == 0


def test_objects_on_the_counter():
    frame = _table()
    frame[220:300, 100:180] = 30  # a dark bag on the counter: 80x80 of the 640x180 surface
    cup = ([400, 250, 430, 290], 0.7, CUP)
    obs = observe([COUNTER], frame, dets(cup))["desk-1"]
    assert obs.clutter == pytest.approx(80 * 80 / (W * 180), rel=0.15)
    assert obs.clutter_objects == 1


def test_people_and_hands_over_the_counter_are_masked():
    frame = _table()
    frame[200:340, 300:420] = 20  # a customer leaning over the counter
    leaning = ([300, 100, 420, 340], 0.9, PERSON)
    assert observe([COUNTER], frame, dets(leaning))["desk-1"].clutter < 0.01
    assert observe([COUNTER], frame, dets())["desk-1"].clutter > 0.1


class CountingDetector:
    version, class_names = "fake", COCO80

    def __init__(self):
        self.calls = 0

    def detect(self, frame):
        self.calls += 1
        return dets(([60, 20, 220, 330], 0.9, PERSON))


def test_motion_gate_reuses_detections_until_the_zone_changes():
    detector = CountingDetector()
    analyzer = CameraAnalyzer(detector, ZoneObserver("cam", [POST]), MotionGate(max_reuse=5))
    still = np.full((H, W, 3), 100, np.uint8)
    for _ in range(4):
        result = analyzer.analyze(T0, still)
        assert result.observation.zones["post-1"].present
    assert detector.calls == 1
    far_away = still.copy()
    far_away[300:, 600:] = 255  # change far outside the post (bottom-right corner)
    assert not analyzer.analyze(T0, far_away).detected
    arrival = still.copy()
    arrival[50:200, 50:150] = 10  # someone sits down at the post
    assert analyzer.analyze(T0, arrival).detected
    assert detector.calls == 2
    for _ in range(6):  # max_reuse forces a fresh look now and then
        analyzer.analyze(T0, arrival)
    assert detector.calls == 3


def test_a_whole_frame_gate_sees_a_change_outside_the_zones():
    """Evidence of a moment gates on the whole frame (pipeline/evidence/clips.write_moment):
    a customer walking where no zone is must be detected again, or their blur stays behind."""
    detector = CountingDetector()
    gate = MotionGate(max_reuse=5, whole_frame=True)
    analyzer = CameraAnalyzer(detector, ZoneObserver("cam", [POST]), gate)
    still = np.full((H, W, 3), 100, np.uint8)
    analyzer.analyze(T0, still)
    assert not analyzer.analyze(T0, still).detected
    far_away = still.copy()
    far_away[300:, 600:] = 255  # outside the post: unseen by a zones-only gate
    assert analyzer.analyze(T0, far_away).detected and detector.calls == 2


class CountingPhoneStage:
    """Says 'phone in use' and counts how often it was asked."""

    def __init__(self):
        self.calls = 0

    def assess(self, t, frame, zone_id, staff):
        self.calls += 1
        return PhoneVerdict(phone=True, conf=0.8, cues=("palm", "det"))


def test_phone_verdict_stands_while_the_gate_reuses_detections():
    stage = CountingPhoneStage()
    observer = ZoneObserver("cam", [POST], phone_stage=stage)
    analyzer = CameraAnalyzer(CountingDetector(), observer, MotionGate(max_reuse=10))
    still = np.full((H, W, 3), 100, np.uint8)
    results = [analyzer.analyze(T0, still) for _ in range(5)]
    assert stage.calls == 1  # the palm and window detectors ran once, not five times
    assert all(r.observation.zones["post-1"].phone for r in results)
    moved = still.copy()
    moved[50:200, 50:150] = 10
    analyzer.analyze(T0, moved)
    assert stage.calls == 2


def test_the_nightly_worker_judges_phones_only_where_staff_sit():
    from detectors.analyzer import build_analyzer
    from detectors.phone import PhoneStageSettings

    PHONE = PhoneStageSettings()

    def stage(zones, phone: PhoneStageSettings | None = PHONE):
        return build_analyzer("cam", zones, CountingDetector(), phone=phone).observer.phone_stage

    assert stage([POST]) is not None
    assert stage([LINE]) is None  # a one-metre line: no staff, no phones
    assert stage([POST], phone=None) is None
    first, second = stage([POST]), stage([POST])
    assert first is not second and first.palm_model is second.palm_model  # models loaded once
