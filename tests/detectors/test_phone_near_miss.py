"""The phone stage's near misses: a crop-detector phone between `candidate_conf` and
`crop_conf` is no verdict, but its box and score are kept for the labelling candidates."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from detectors.detections import Detections
from detectors.phone import PhoneStage, PhoneStageSettings

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NAMES = ("person", "cell phone")


class OnePhone:
    version, class_names = "one-phone", NAMES

    def __init__(self, score: float) -> None:
        self.score = score

    def detect(self, crop):
        return Detections.from_arrays([[40, 80, 60, 110]], [self.score], [1], NAMES)


@pytest.mark.parametrize(
    ("score", "phone", "kept"), [(0.05, False, False), (0.15, False, True), (0.6, True, True)]
)
def test_a_near_miss_keeps_its_box_and_is_no_verdict(score, phone, kept):
    stage = PhoneStage(PhoneStageSettings(pose=False, always=True), detector=OnePhone(score))
    teller = Detections.from_arrays([[50, 20, 250, 420]], [0.9], [0])
    frame = np.zeros((480, 640, 3), np.uint8)
    ev = stage.assess(T0, frame, "post", teller, Detections.empty())
    assert ev.phone is phone and (ev.box is not None) is kept
    assert ev.score == (pytest.approx(score) if kept else 0.0)
    if not phone:
        assert (ev.conf, ev.cues) == (0.0, ())  # the observation is as before: no phone
