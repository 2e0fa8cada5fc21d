"""Raised hands at teller posts: the keypoint rule on hand-made poses (shoulders 100 px
apart, y down), the stage on stub poses, and the observer's use of it."""

from datetime import UTC, datetime

import numpy as np
import pytest

from detectors.analyzer import CameraAnalyzer, build_analyzer
from detectors.backends.movenet import KEYPOINTS, Pose
from detectors.detections import COCO80, Detections
from detectors.hands import HandStage, hand_up
from detectors.motion import MotionGate
from detectors.observations import ZonePurpose
from detectors.observer import ZoneObserver, ZoneSpec

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PERSON = COCO80.index("person")
UPRIGHT = {  # a person facing the camera, head up, arms hanging (y down; shoulders 100 px apart)
    "nose": (200, 100), "left_eye": (210, 92), "right_eye": (190, 92),
    "left_ear": (222, 98), "right_ear": (178, 98),
    "left_shoulder": (250, 160), "right_shoulder": (150, 160),
    "left_elbow": (262, 230), "right_elbow": (138, 230),
    "left_wrist": (265, 300), "right_wrist": (135, 300),
    "left_hip": (235, 320), "right_hip": (165, 320),
    "left_knee": (235, 420), "right_knee": (165, 420),
    "left_ankle": (235, 520), "right_ankle": (165, 520),
}  # fmt: skip
HALF = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))
POST = ZoneSpec("post-1", ZonePurpose.TELLER_POST, HALF, hand_raise=True)
TELLER = [60, 60, 300, 350]  # frame pixels: the teller seated in the post


def pose(changes=None, unseen=(), shift=(0.0, 0.0)) -> Pose:
    points = UPRIGHT | (changes or {})
    xy = np.array([points[k] for k in KEYPOINTS], np.float32) + np.array(shift, np.float32)
    score = np.array([0.05 if k in unseen else 0.8 for k in KEYPOINTS], np.float32)
    return Pose(xy, score, 0.8)


RAISED_LEFT = {"left_elbow": (280, 110), "left_wrist": (290, 40)}  # well above the head
AT_SHOULDER = {"left_elbow": (300, 170), "left_wrist": (330, 150)}  # 10 px above: 0.1 widths
ON_THE_PHONE = {"right_elbow": (140, 150), "right_wrist": (172, 112)}  # wrist at the ear


def test_a_wrist_above_the_shoulder_line_is_a_raised_hand():
    assert hand_up(pose(RAISED_LEFT)) is True
    assert hand_up(pose(RAISED_LEFT, unseen=("right_wrist",))) is True


def test_arms_down_or_a_hand_at_shoulder_height_is_not():
    assert hand_up(pose()) is False
    assert hand_up(pose(AT_SHOULDER)) is False  # below the 0.15-width margin
    assert hand_up(pose(unseen=("left_wrist", "right_wrist"))) is False  # hidden: not up


def test_a_hand_at_the_ear_counts_as_up():
    """A call looks like a raised hand to this rule: it errs toward no miss (the call
    itself is PHONE_USE's business)."""
    assert hand_up(pose(ON_THE_PHONE)) is True


def test_no_shoulders_or_a_side_view_is_unread():
    assert hand_up(pose(RAISED_LEFT, unseen=("left_shoulder",))) is None
    side = {"left_shoulder": (200, 160), "right_shoulder": (202, 160)}
    assert hand_up(pose(RAISED_LEFT | side)) is None


class StubPoses:
    """A pose model that finds the given poses (crop pixels) in any crop."""

    version = "stub-pose"

    def __init__(self, *poses: Pose):
        self.found, self.calls = list(poses), 0

    def poses(self, image):
        self.calls += 1
        return self.found


def dets(*boxes) -> Detections:
    if not boxes:
        return Detections.empty()
    return Detections.from_arrays(list(boxes), [0.9] * len(boxes), [PERSON] * len(boxes))


FRAME = np.zeros((360, 640, 3), np.uint8)


def test_the_stage_reads_the_staff_persons_own_pose():
    # hand_crop(TELLER) starts at (0, 0): crop pixels are frame pixels here
    customer = pose(RAISED_LEFT, shift=(320, 0))  # across the counter, hand up, outside the box
    assert HandStage(StubPoses(pose(), customer)).raised(FRAME, dets(TELLER)) is False
    assert HandStage(StubPoses(pose(RAISED_LEFT))).raised(FRAME, dets(TELLER)) is True
    assert HandStage(StubPoses(customer)).raised(FRAME, dets(TELLER)) is None


def test_nobody_or_someone_too_small_is_unread():
    stage = HandStage(StubPoses(pose(RAISED_LEFT)))
    assert stage.raised(FRAME, dets()) is None
    assert stage.raised(FRAME, dets([60, 60, 100, 110])) is None  # 50 px tall
    assert stage.pose_runs == 0


class OneTeller:
    version, class_names = "fake", COCO80

    def detect(self, frame):
        return dets(TELLER)


def test_the_observer_reads_hands_only_at_marked_posts_and_reuses_them_while_still():
    model = StubPoses(pose(RAISED_LEFT))
    other = ZoneSpec("post-2", ZonePurpose.TELLER_POST, HALF)  # no one-metre zone names it
    observer = ZoneObserver("cam", [POST, other], hand_stage=HandStage(model))
    analyzer = CameraAnalyzer(OneTeller(), observer, MotionGate(max_reuse=10))
    still = np.full((360, 640, 3), 100, np.uint8)
    zones = [analyzer.analyze(T0, still).observation.zones for _ in range(4)]
    assert all(z["post-1"].hand_raised is True and z["post-2"].hand_raised is None for z in zones)
    assert model.calls == 1  # the gate reused the detections: the verdict stands


def test_the_hand_stage_runs_only_where_a_post_is_marked():
    plain = ZoneSpec("post-1", ZonePurpose.TELLER_POST, HALF)
    assert build_analyzer("cam", [plain], OneTeller()).observer.hand_stage is None
    first = build_analyzer("cam", [POST], OneTeller()).observer.hand_stage
    second = build_analyzer("cam", [POST], OneTeller()).observer.hand_stage
    assert first is not None and first.pose_model is second.pose_model  # loaded once
    assert build_analyzer("cam", [POST], OneTeller()).version == f"fake+{first.version}"


@pytest.mark.parametrize("purpose", [ZonePurpose.GUARD, ZonePurpose.LOBBY_MANAGER])
def test_a_uniform_picks_the_guard_as_it_picks_the_lobby_manager(purpose):
    frame = np.full((360, 640, 3), 200, np.uint8)
    navy, red = (68, 42, 31), (40, 40, 200)
    frame[40:330, 60:200], frame[40:330, 400:540] = navy, red
    whole = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    zone = ZoneSpec("z", purpose, whole, uniform_bgr=navy, uniform_tolerance=20)
    observer = ZoneObserver("cam", [zone])
    both = observer.observe(T0, frame, dets([60, 40, 200, 330], [400, 40, 540, 330])).zones["z"]
    customer = observer.observe(T0, frame, dets([400, 40, 540, 330])).zones["z"]
    assert both.present and not customer.present and customer.persons == 1
    anyone = ZoneObserver("cam", [ZoneSpec("z", purpose, whole)])
    assert anyone.observe(T0, frame, dets([400, 40, 540, 330])).zones["z"].present
