"""The bank's own YOLO weights as the phone stage's crop detector, by configuration; the
plumbing is tested with an untrained yolo11n built from its yaml."""

import argparse
from datetime import UTC, datetime

import numpy as np
import pytest

pytest.importorskip("ultralytics")

from cli.options import phone_settings  # noqa: E402
from detectors.backends.yolo import UltralyticsDetector  # noqa: E402
from detectors.detections import Detections  # noqa: E402
from detectors.phone import PhoneStage, PhoneStageSettings, load_crop_detector  # noqa: E402

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_settings_pick_the_ultralytics_backend():
    s = PhoneStageSettings(backend="yolo", weights="yolo11n.yaml", pose=False, always=True)
    det = load_crop_detector(s)
    assert isinstance(det, UltralyticsDetector)
    stage = PhoneStage(s, detector=det)
    assert stage.version == "phone:ultralytics:yolo11n.yaml@untrained"
    teller = Detections.from_arrays([[40, 20, 300, 460]], [0.9], [0])
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    ev = stage.assess(T0, frame, "post", teller, Detections.empty())
    assert stage.counters.crop_runs == 1
    assert isinstance(ev.phone, bool) and 0.0 <= ev.conf <= 1.0


def test_a_bank_class_named_phone_counts(monkeypatch):
    """A bank's model names its class "phone" or "mobile_phone", not COCO's "cell phone"."""
    names = ("person", "mobile_phone", "cash")

    class BankModel:
        version, class_names = "bank", names

        def detect(self, frame):
            return Detections.from_arrays([[10, 10, 40, 60]], [0.9], [1], names)

    stage = PhoneStage(PhoneStageSettings(pose=False, always=True), detector=BankModel())
    teller = Detections.from_arrays([[0, 0, 200, 300]], [0.9], [0])
    ev = stage.assess(T0, np.zeros((300, 200, 3), np.uint8), "post", teller, Detections.empty())
    assert ev.phone and ev.cues == ("det",)


def test_observe_options_reach_the_stage():
    args = argparse.Namespace(
        no_phone_stage=False, phone_backend="yolo", phone_weights="yolo11n.yaml", no_pose=True
    )
    stage = PhoneStage(phone_settings(args))
    assert stage.settings.backend == "yolo" and stage.pose_model is None
    assert isinstance(stage.detector, UltralyticsDetector)


def test_yolo_needs_weights():
    from detectors.base import DetectorError

    with pytest.raises(DetectorError, match="needs --phone-weights"):
        load_crop_detector(PhoneStageSettings(backend="yolo"))
