"""The bank's own YOLO weights as the phone stage's window detector, by configuration; the
plumbing is tested with an untrained yolo11n built from its yaml, on a real frame whose
hand the shipped palm detector finds."""

import argparse
from datetime import UTC, datetime

import pytest

pytest.importorskip("ultralytics")

from benchmarks.clips import clip_path, samples  # noqa: E402
from cli.options import phone_settings  # noqa: E402
from detectors.backends.yolo import UltralyticsDetector  # noqa: E402
from detectors.detections import Detections  # noqa: E402
from detectors.phone import PhoneStage, PhoneStageSettings, load_crop_detector  # noqa: E402
from detectors.registry import load_palm_detector  # noqa: E402

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class Counted:
    """The bank's detector, its calls counted."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0
        self.version, self.class_names = inner.version, inner.class_names

    def detect(self, frame):
        self.calls += 1
        return self.inner.detect(frame)


def _hand_frame():
    """bottle-detection.mp4 at 12 s: a hand reaching for the first bottle."""
    for t, frame in samples(clip_path("bottle-detection.mp4"), 2.0, 7):
        if t >= 12:
            return frame
    raise AssertionError("clip shorter than 12 s")


def test_the_bank_model_searches_the_windows_around_real_hands():
    s = PhoneStageSettings(backend="yolo", weights="yolo11n.yaml", min_person_px=0)
    det = Counted(load_crop_detector(s))
    assert isinstance(det.inner, UltralyticsDetector)
    stage = PhoneStage(s, detector=det)
    assert stage.version.startswith("phone:palm-detection-full@")
    assert stage.version.endswith("+ultralytics:yolo11n.yaml@untrained")
    frame = _hand_frame()
    arm = Detections.from_arrays([[0, 0, 200, 200]], [0.9], [0])  # the arm reaching in
    ev = stage.assess(T0, frame, "post", arm)
    assert stage.counters.palms >= 1 and det.calls == stage.counters.windows >= 1
    assert isinstance(ev.phone, bool) and 0.0 <= ev.conf <= 1.0


def test_a_bank_class_named_phone_counts():
    """A bank's model names its class "phone" or "mobile_phone", not COCO's "cell phone"."""
    names = ("person", "mobile_phone", "cash")

    class BankModel:
        version, class_names = "bank", names

        def detect(self, frame):  # a phone the palm's size, in window pixels
            return Detections.from_arrays([[80, 70, 130, 140]], [0.9], [1], names)

    stage = PhoneStage(PhoneStageSettings(min_person_px=0), detector=BankModel())
    arm = Detections.from_arrays([[0, 0, 200, 200]], [0.9], [0])
    ev = stage.assess(T0, _hand_frame(), "post", arm)
    assert ev.phone and ev.cues == ("palm", "det")


def test_observe_options_reach_the_stage():
    args = argparse.Namespace(
        no_phone_stage=False, phone_backend="yolo", phone_weights="yolo11n.yaml"
    )
    stage = PhoneStage(phone_settings(args), palm_model=load_palm_detector())
    assert stage.settings.backend == "yolo"
    assert isinstance(stage.detector, UltralyticsDetector)


def test_yolo_needs_weights():
    from detectors.base import DetectorError

    with pytest.raises(DetectorError, match="needs --phone-weights"):
        load_crop_detector(PhoneStageSettings(backend="yolo"))
