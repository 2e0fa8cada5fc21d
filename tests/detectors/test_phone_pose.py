"""The pose cue on hand-made keypoint sets (image pixels, y down; shoulders 100 px apart)."""

import numpy as np
import pytest

from detectors.backends.movenet import KEYPOINTS, Pose
from detectors.pose import Posture, posture

UPRIGHT = {  # a person facing the camera, head up, arms hanging
    "nose": (200, 100), "left_eye": (210, 92), "right_eye": (190, 92),
    "left_ear": (222, 98), "right_ear": (178, 98),
    "left_shoulder": (250, 160), "right_shoulder": (150, 160),
    "left_elbow": (262, 230), "right_elbow": (138, 230),
    "left_wrist": (265, 300), "right_wrist": (135, 300),
    "left_hip": (235, 320), "right_hip": (165, 320),
    "left_knee": (235, 420), "right_knee": (165, 420),
    "left_ankle": (235, 520), "right_ankle": (165, 520),
}  # fmt: skip


def pose(changes=None, unseen=()) -> Pose:
    points = UPRIGHT | (changes or {})
    xy = np.array([points[k] for k in KEYPOINTS], np.float32)
    score = np.array([0.05 if k in unseen else 0.8 for k in KEYPOINTS], np.float32)
    return Pose(xy, score, 0.8)


BOWED_HEAD = {"nose": (200, 128), "left_eye": (210, 112), "right_eye": (190, 112)}
HANDS_TOGETHER_AT_CHEST = {
    "left_elbow": (240, 250), "right_elbow": (160, 250),
    "left_wrist": (215, 235), "right_wrist": (185, 235),
}  # fmt: skip
HANDS_APART_AT_COUNTER = {  # counting cash: hands on the counter, a shoulder width apart
    "left_elbow": (260, 250), "right_elbow": (140, 250),
    "left_wrist": (255, 290), "right_wrist": (145, 290),
}  # fmt: skip


def test_bowed_head_over_wrists_held_together_fires():
    assert posture(pose(BOWED_HEAD | HANDS_TOGETHER_AT_CHEST)) is Posture.BOWED_HANDS_TOGETHER


def test_hands_together_at_the_counter_with_the_head_up_does_not():
    assert posture(pose(HANDS_TOGETHER_AT_CHEST)) is Posture.NONE


def test_bowed_head_over_hands_apart_at_the_counter_does_not():
    assert posture(pose(BOWED_HEAD | HANDS_APART_AT_COUNTER)) is Posture.NONE


def test_upright_with_arms_down_does_not():
    assert posture(pose()) is Posture.NONE


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_wrist_at_the_ear_is_a_call(side):
    ear = UPRIGHT[f"{side}_ear"]
    call = {f"{side}_wrist": (ear[0] + (8 if side == "left" else -8), ear[1] + 15)}
    assert posture(pose(call)) is Posture.WRIST_AT_EAR


def test_a_hand_on_the_chin_below_the_shoulders_is_not_a_call():
    assert posture(pose({"left_wrist": (215, 175)})) is Posture.NONE


def test_unseen_shoulders_or_face_give_no_cue():
    both = BOWED_HEAD | HANDS_TOGETHER_AT_CHEST
    assert posture(pose(both, unseen={"left_shoulder"})) is Posture.NONE
    # from behind (no nose): hands together in front cannot be read as a bowed head
    assert posture(pose(both, unseen={"nose", "left_eye", "right_eye"})) is Posture.NONE
