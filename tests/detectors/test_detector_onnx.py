"""The shipped NanoDet-m models (fp32 and its INT8 quantization) on real footage, against
people labelled by eye: each shipped model must pass the same tests."""

import json

import av
import numpy as np
import pytest

from detectors.base import DetectorError
from detectors.detections import Detections
from detectors.phone import PhoneStageSettings, load_crop_detector
from detectors.registry import NANODET_FILES, load_detector
from tests.conftest import DATA, footage_file

LABELS = json.loads((DATA / "detector_labels.json").read_text())
CASES = [
    (clip, int(t))
    for clip in ("vtest.avi", "one-by-one-person-detection.mp4")
    for t in LABELS[clip]
]


@pytest.fixture(scope="module", params=sorted(NANODET_FILES))
def detector(request):
    return load_detector("onnx", model=request.param)


def frame_at(name: str, t: float) -> np.ndarray:
    with av.open(str(footage_file(name))) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.pts * stream.time_base >= t:
                return frame.to_ndarray(format="bgr24")
    raise AssertionError(f"{name} has no frame at {t} s")


def _covers(box: np.ndarray, point) -> bool:
    x, y = point
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


@pytest.mark.parametrize(("clip", "t"), CASES, ids=[f"{c}@{t}s" for c, t in CASES])
def test_finds_the_people_a_person_sees(detector, clip, t):
    label = LABELS[clip][str(t)]
    persons = detector.detect(frame_at(clip, t)).in_group("person")
    # every clearly visible person is found
    for point in label["persons"]:
        assert any(_covers(b, point) for b in persons.xyxy), f"missed the person at {point}"
    # and every confident person box is on someone who is there
    known = label["persons"] + label["partial"]
    for box in persons.with_min_confidence(0.6).xyxy:
        assert any(_covers(box, p) for p in known), f"confident person box {box} on nobody"


def test_boxes_are_in_source_pixels(detector):
    frame = frame_at("one-by-one-person-detection.mp4", 10)  # 768x432: letterboxed to 416
    person = detector.detect(frame).in_group("person")
    assert len(person) == 1
    x1, y1, x2, y2 = person.xyxy[0]
    # the woman at the table spans most of the frame's height, centred near x=450
    assert 0 <= y1 < 40 and 360 < y2 <= 432 and 400 < (x1 + x2) / 2 < 500


def test_any_frame_size_and_a_batch(detector):
    frame = frame_at("vtest.avi", 20)
    small = frame[::2, ::2].copy()
    single = detector.detect(small)
    batch = detector.detect_batch([small, frame])
    assert isinstance(single, Detections) and len(batch) == 2
    np.testing.assert_allclose(batch[0].xyxy, single.xyxy, atol=0.5)
    assert (batch[1].xyxy[:, 2] <= 768).all() and (batch[1].xyxy[:, 3] <= 576).all()


def test_bad_frames_and_weights(detector, tmp_path):
    with pytest.raises(DetectorError, match="BGR uint8"):
        detector.detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(DetectorError, match="BGR uint8"):
        detector.detect(np.zeros((10, 10, 3), np.float32))
    garbage = tmp_path / "model.onnx"
    garbage.write_bytes(b"not a model at all")
    with pytest.raises(DetectorError, match="model.onnx"):
        load_detector("onnx", garbage)
    with pytest.raises(DetectorError, match="weights file not found"):
        load_detector("onnx", tmp_path / "missing.onnx")
    with pytest.raises(DetectorError, match="unknown backend 'tensorflow'"):
        load_detector("tensorflow")


def test_each_model_name_loads_its_own_file():
    fp32, int8 = load_detector("onnx"), load_detector("onnx", model="nanodet-int8")
    assert fp32.version.startswith("nanodet-m-416-coco@")
    assert int8.version.startswith("nanodet-m-416-int8-coco@") and int8.input_size == 416
    # INT8 is a different network: near the fp32 one on a real frame, never bit-identical
    frame = frame_at("one-by-one-person-detection.mp4", 30)
    a, b = fp32.detect(frame).in_group("person"), int8.detect(frame).in_group("person")
    assert len(a) == len(b) == 1 and not np.array_equal(a.confidence, b.confidence)
    np.testing.assert_allclose(b.confidence, a.confidence, atol=0.1)
    np.testing.assert_allclose(b.xyxy, a.xyxy, atol=12)


def test_the_phone_stage_can_name_either_window_detector():
    fingerprints = set()
    for model, prefix in (
        ("nanodet", "nanodet-m-416-coco@"),
        ("nanodet-int8", "nanodet-m-416-int8-"),
    ):
        settings = PhoneStageSettings(model=model)
        assert load_crop_detector(settings).version.startswith(prefix)
        fingerprints.add(settings.fingerprint())
    assert len(fingerprints) == 2  # redone units when it changes (a digest of the dump)
