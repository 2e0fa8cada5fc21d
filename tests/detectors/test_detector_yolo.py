"""The ultralytics backend's plumbing, with an untrained yolo11n built from its yaml."""

import numpy as np
import pytest

pytest.importorskip("ultralytics")

from detectors.base import DetectorError
from detectors.detections import Detections  # noqa: E402
from detectors.registry import load_detector  # noqa: E402


@pytest.fixture(scope="module")
def yolo():
    return load_detector("yolo", "yolo11n.yaml", conf=0.01)


def test_returns_the_shared_record(yolo):
    frames = [np.full((360, 640, 3), 127, np.uint8), np.zeros((576, 768, 3), np.uint8)]
    results = yolo.detect_batch(frames)
    assert len(results) == 2
    for dets, frame in zip(results, frames, strict=True):
        assert isinstance(dets, Detections)
        assert len(dets.class_names) == 80
        if len(dets):
            h, w = frame.shape[:2]
            assert (dets.xyxy[:, [0, 2]] <= w + 1).all() and (dets.xyxy[:, [1, 3]] <= h + 1).all()
    assert yolo.version == "ultralytics:yolo11n.yaml@untrained"


def test_weights_that_are_not_a_model(tmp_path):
    fake = tmp_path / "bank.pt"
    fake.write_text("this is not a checkpoint")
    with pytest.raises(DetectorError, match="cannot load as a YOLO model"):
        load_detector("yolo", fake)


def test_wrong_kind_of_file(tmp_path):
    notes = tmp_path / "weights.txt"
    notes.write_text("x")
    with pytest.raises(DetectorError, match="not a YOLO model file"):
        load_detector("yolo", notes)


def test_weights_are_required():
    with pytest.raises(DetectorError, match="needs --weights"):
        load_detector("yolo")
