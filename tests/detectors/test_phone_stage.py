"""The phone stage with stand-in models: crop geometry, gating (counted calls), fusion."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detectors.backends.movenet import KEYPOINTS, Pose
from detectors.detections import COCO80, Detections
from detectors.observations import ZonePurpose
from detectors.observer import ZoneObserver, ZoneSpec
from detectors.phone import PhoneStage, PhoneStageSettings, upper_body_crop
from tests.detectors.test_phone_pose import BOWED_HEAD, HANDS_TOGETHER_AT_CHEST, UPRIGHT

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PERSON, PHONE = COCO80.index("person"), COCO80.index("cell phone")
W, H = 1920, 1080
TELLER = [100.0, 60.0, 400.0, 660.0]  # frame pixels of a 1080p frame


class CountingDetector:
    """Records the crops it is given; finds a phone at a fixed place in crop pixels."""

    version = "fake-crop"
    class_names = COCO80

    def __init__(self, box=None, score=0.6):
        self.crops: list[np.ndarray] = []
        self.box, self.score = box, score

    def detect(self, frame):
        self.crops.append(frame)
        if self.box is None:
            return Detections.empty()
        return Detections.from_arrays([self.box], [self.score], [PHONE])


class FixedPose:
    """A pose model that sees the same keypoints (given in frame pixels) in every crop."""

    version = "fake-pose"

    def __init__(self, points=None):
        self.points, self.calls, self.offset = points, 0, (0, 0)

    def poses(self, crop):
        self.calls += 1
        if self.points is None:
            return []
        xy = np.array([self.points[k] for k in KEYPOINTS], np.float32) - self.offset
        return [Pose(xy, np.full(17, 0.8, np.float32), 0.8)]


def on_teller(changes):
    """test_phone_pose's upright figure with `changes`, moved onto TELLER."""
    points = UPRIGHT | changes
    return {k: (x - 50 + TELLER[0], y - 40 + TELLER[1]) for k, (x, y) in points.items()}


def frame(moved=False):
    """Noise; `moved`: the teller's upper body changed (StillPoses poses them again)."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (H, W, 3), np.uint8)
    if moved:
        img[100:300, 150:350] = 255
    return img


def stage(detector, pose_model=None, **settings):
    """A stage with stand-ins; without a pose model it runs without the pose cue."""
    s = PhoneStageSettings(pose=pose_model is not None, **settings)
    st = PhoneStage(s, detector=detector, pose_model=pose_model)
    if pose_model is not None:  # FixedPose returns crop pixels, as MoveNet does
        pose_model.offset = upper_body_crop(TELLER, (W, H))[:2]
    return st


def persons(*boxes):
    return Detections.from_arrays(boxes, [0.9] * len(boxes), [PERSON] * len(boxes))


NO_PHONES = Detections.empty()


def test_crop_is_upper_body_and_hands_at_native_resolution():
    assert upper_body_crop(TELLER, (W, H)) == (25, 30, 475, 540)
    # clipped at the frame's edges
    assert upper_body_crop([1800, 0, 1920, 300], (W, H)) == (1770, 0, 1920, 240)
    det = CountingDetector()
    img = frame()
    stage(det, always=True).assess(T0, img, "post", persons(TELLER), NO_PHONES)
    (crop,) = det.crops
    assert crop.shape == (510, 450, 3)  # not resized: the frame's own pixels
    np.testing.assert_array_equal(crop, img[30:540, 25:475])


def test_no_person_no_second_stage():
    det, pose = CountingDetector(), FixedPose(on_teller(BOWED_HEAD | HANDS_TOGETHER_AT_CHEST))
    ev = stage(det, pose).assess(T0, frame(), "post", Detections.empty(), NO_PHONES)
    assert not ev.phone and det.crops == [] and pose.calls == 0


def test_a_person_with_nothing_suggesting_a_phone_is_not_searched():
    det, pose = CountingDetector((100, 300, 140, 370)), FixedPose(on_teller({}))
    st = stage(det, pose)
    ev = st.assess(T0, frame(), "post", persons(TELLER), NO_PHONES)
    assert not ev.phone and det.crops == [] and pose.calls == 1
    assert st.counters.crop_runs == 0 and st.counters.persons == 1


def test_the_pose_cue_opens_the_gate():
    det = CountingDetector()
    st = stage(det, FixedPose(on_teller(BOWED_HEAD | HANDS_TOGETHER_AT_CHEST)))
    ev = st.assess(T0, frame(), "post", persons(TELLER), NO_PHONES)
    assert len(det.crops) == 1 and not ev.phone  # the pose alone is never phone use
    assert st.counters.suggested_by["pose"] == 1


def test_a_first_stage_phone_opens_the_gate_without_pose():
    det = CountingDetector()
    st = stage(det)
    first = Detections.from_arrays([[220, 300, 250, 350]], [0.4], [PHONE])
    st.assess(T0, frame(), "post", persons(TELLER), NO_PHONES)
    assert det.crops == []
    st.assess(T0, frame(), "post", persons(TELLER), first)
    assert len(det.crops) == 1 and st.counters.suggested_by["first"] == 1


def test_evidence_keeps_the_zone_watched_for_hold_s():
    # wrists together in front, head bowed: the pose opens the gate, the detector confirms
    points = on_teller(BOWED_HEAD | HANDS_TOGETHER_AT_CHEST)
    wrist = points["left_wrist"]
    crop0 = upper_body_crop(TELLER, (W, H))
    at_wrist = (wrist[0] - crop0[0] - 15, wrist[1] - crop0[1] - 25)
    det = CountingDetector((*at_wrist, at_wrist[0] + 30, at_wrist[1] + 50), score=0.3)
    pose = FixedPose(points)
    st = stage(det, pose, hold_s=30)
    assert st.assess(T0, frame(), "post", persons(TELLER), NO_PHONES).phone
    pose.points = on_teller({})  # the teller straightens up: no suggestion any more
    st.assess(T0 + timedelta(seconds=20), frame(moved=True), "post", persons(TELLER), NO_PHONES)
    assert len(det.crops) == 2  # still watched within hold_s of the evidence
    st.assess(T0 + timedelta(seconds=80), frame(moved=True), "post", persons(TELLER), NO_PHONES)
    assert len(det.crops) == 2  # 60 s after the last evidence: not any more


def test_fusion_cues_and_confidence():
    points = on_teller(BOWED_HEAD | HANDS_TOGETHER_AT_CHEST)
    crop0 = upper_body_crop(TELLER, (W, H))
    wrist = points["right_wrist"]
    at_wrist = (wrist[0] - crop0[0] - 15, wrist[1] - crop0[1] - 25, wrist[0] - crop0[0] + 15,
                wrist[1] - crop0[1] + 25)  # fmt: skip
    ev = stage(CountingDetector(at_wrist, 0.3), FixedPose(points)).assess(
        T0, frame(), "post", persons(TELLER), NO_PHONES
    )
    assert ev.phone and ev.cue_text == "det+hand+pose"
    assert ev.conf == pytest.approx(1 - 0.7 * 0.7 * 0.7)
    # the same detection far from the hands and no pose cue: weak, so not phone use alone
    far = (5, 5, 35, 55)
    ev = stage(CountingDetector(far, 0.3), always=True).assess(
        T0, frame(), "post", persons(TELLER), NO_PHONES
    )
    assert not ev.phone and ev.cue_text == "det"
    # a sure detection stands alone
    ev = stage(CountingDetector(far, 0.7), always=True).assess(
        T0, frame(), "post", persons(TELLER), NO_PHONES
    )
    assert ev.phone and ev.conf == pytest.approx(0.7)


def test_observer_asks_the_stage_for_staff_zones_only():
    det = CountingDetector((100, 300, 140, 370), 0.8)
    st = stage(det, always=True)
    post = ZoneSpec("post-1", ZonePurpose.TELLER_POST, ((0, 0), (0.5, 0), (0.5, 1), (0, 1)))
    lobby = ZoneSpec("lobby", ZonePurpose.LOBBY, ((0.5, 0), (1, 0), (1, 1), (0.5, 1)))
    customer = [1200.0, 60.0, 1500.0, 660.0]
    obs = ZoneObserver("cam", [post, lobby], phone_stage=st).observe(
        T0, frame(), persons(TELLER, customer)
    )
    assert obs.zones["post-1"].phone and obs.zones["post-1"].phone_cues == "det"
    assert not obs.zones["lobby"].phone and len(det.crops) == 1  # the customer is not searched


def test_settings_reject_unknown_keys_and_bad_thresholds():
    with pytest.raises(ValueError):
        PhoneStageSettings(crop_conf=1.5)
    with pytest.raises(ValueError):
        PhoneStageSettings(backend="tensorflow")
    with pytest.raises(ValueError):
        PhoneStageSettings(pose_weights="x")


def test_a_person_holding_still_keeps_their_pose():
    """MoveNet runs again only when the person moved or their upper body changed: the same
    teller in the same place is not posed twice, a lifted hand or a step is."""
    pose = FixedPose(on_teller(BOWED_HEAD | HANDS_TOGETHER_AT_CHEST))
    det = CountingDetector((100, 300, 140, 370), 0.3)
    st = stage(det, pose)
    img = frame()
    first = st.assess(T0, img, "post", persons(TELLER), NO_PHONES)
    again = st.assess(T0 + timedelta(seconds=2), img.copy(), "post", persons(TELLER), NO_PHONES)
    assert pose.calls == 1 and st.counters.pose_reused == 1
    assert again == first and first.phone  # the reused pose still confirms the phone
    hand = img.copy()
    hand[300:400, 150:250] = 255  # something lifted in front of the chest
    st.assess(T0 + timedelta(seconds=4), hand, "post", persons(TELLER), NO_PHONES)
    assert pose.calls == 2
    stepped = [v + 40 for v in TELLER]
    st.assess(T0 + timedelta(seconds=6), hand, "post", persons(stepped), NO_PHONES)
    assert pose.calls == 3
    st.assess(T0 + timedelta(seconds=8), hand, "other-post", persons(stepped), NO_PHONES)
    assert pose.calls == 4  # each zone remembers its own persons


def test_hand_windows_search_a_square_around_each_seen_wrist():
    """With `hand_windows`, besides the upper body the detector sees a square of
    `hand_window` × the person's height centred on each wrist the pose sees, cut from the
    frame's own pixels; a phone found there comes back in frame pixels."""
    points = on_teller(BOWED_HEAD | HANDS_TOGETHER_AT_CHEST)
    det = CountingDetector((10, 10, 40, 60), 0.6)
    st = stage(det, FixedPose(points), hand_windows=True)
    img = frame()
    ev = st.assess(T0, img, "post", persons(TELLER), NO_PHONES)
    side = round(0.4 * (TELLER[3] - TELLER[1]))
    assert len(det.crops) == 3 and st.counters.hand_windows == 2
    for crop, wrist in zip(det.crops[1:], ("left_wrist", "right_wrist"), strict=True):
        cx, cy = points[wrist]
        x1, y1 = int(cx - side / 2), int(cy - side / 2)
        assert abs(crop.shape[0] - side) <= 1 and abs(crop.shape[1] - side) <= 1
        np.testing.assert_array_equal(crop, img[y1 : y1 + crop.shape[0], x1 : x1 + crop.shape[1]])
    assert ev.phone and ev.box is not None
    plain = CountingDetector((10, 10, 40, 60), 0.6)
    stage(plain, FixedPose(points)).assess(T0, img, "post", persons(TELLER), NO_PHONES)
    assert len(plain.crops) == 1  # off by default
