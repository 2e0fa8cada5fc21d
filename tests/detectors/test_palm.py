"""MediaPipe's palm detector as shipped (detectors/backends/palm.py) on real frames: the hands
that place bottles in bottle-detection.mp4 are found, the empty table gives none."""

import numpy as np
import pytest

from benchmarks.clips import clip_path, samples
from detectors.backends.palm import anchors, hand_centre, weighted_nms
from detectors.base import DetectorError
from detectors.registry import load_palm_detector


@pytest.fixture(scope="module")
def palm():
    return load_palm_detector()


@pytest.fixture(scope="module")
def frames():
    """bottle-detection.mp4 every 2 s, by whole second."""
    return {round(t): f for t, f in samples(clip_path("bottle-detection.mp4"), 2.0, 10)}


def test_anchors_are_mediapipes_2016():
    a = anchors()
    assert a.shape == (2016, 2)
    np.testing.assert_allclose(a[0], [0.5 / 24, 0.5 / 24])  # stride 8, two a cell
    np.testing.assert_allclose(a[1], a[0])
    np.testing.assert_allclose(a[1152], [0.5 / 12, 0.5 / 12])  # stride 16, six a cell
    np.testing.assert_allclose(a[-1], [11.5 / 12, 11.5 / 12])


@pytest.mark.parametrize(("second", "where"), [(6, (40, 0, 140, 100)), (12, (20, 0, 130, 110))])
def test_the_hand_placing_a_bottle_is_found(palm, frames, second, where):
    """At 6 s and 12 s a hand comes down from the top left onto the first bottle's cap."""
    found = palm.palms(frames[second], 0.4)
    assert len(found) == 1
    (p,) = found
    x1, y1, x2, y2 = where
    cx, cy = (p.box[0] + p.box[2]) / 2, (p.box[1] + p.box[3]) / 2
    assert x1 <= cx <= x2 and y1 <= cy <= y2 and p.score >= 0.5
    assert 40 <= p.side <= 90  # the back of a hand of about 60 px
    assert np.hypot(p.centre[0] - cx, p.centre[1] - cy) <= p.side  # toward the fingers


def test_two_hands_reaching_for_two_bottles(palm, frames):
    found = palm.palms(frames[16], 0.3)
    assert len(found) == 2
    xs = sorted((p.box[0] + p.box[2]) / 2 for p in found)
    assert xs[0] < 100 and 250 < xs[1] < 400  # the first bottle's and the second's


@pytest.mark.parametrize("second", [0, 2, 4, 8])
def test_bottles_without_hands_give_no_palm(palm, frames, second):
    assert palm.palms(frames[second], 0.4) == []


def test_a_crop_gives_palms_in_its_own_pixels(palm, frames):
    (whole,) = palm.palms(frames[12], 0.4)
    (cut,) = palm.palms(frames[12][0:200, 0:300], 0.4)  # seen twice as large by the model
    np.testing.assert_allclose(np.array(cut.box), np.array(whole.box), atol=0.15 * whole.side)


def test_tiny_or_empty_images_give_none(palm):
    assert palm.palms(np.zeros((1, 50, 3), np.uint8)) == []
    assert palm.palms(np.zeros((120, 90, 3), np.uint8)) == []


def test_the_hand_centre_moves_half_a_palm_toward_the_fingers():
    box = np.array([[100.0, 100.0], [140.0, 140.0]])
    up = np.array([[120, 140], [0, 0], [120, 100]] + [[0, 0]] * 4, np.float32)
    assert hand_centre(box, up) == pytest.approx((120.0, 100.0))
    right = np.array([[100, 120], [0, 0], [140, 120]] + [[0, 0]] * 4, np.float32)
    assert hand_centre(box, right) == pytest.approx((140.0, 120.0))
    down = np.array([[120, 100], [0, 0], [120, 140]] + [[0, 0]] * 4, np.float32)
    assert hand_centre(box, down) == pytest.approx((120.0, 140.0))


def test_weighted_nms_merges_a_cluster_and_keeps_apart_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.9, 0.6, 0.5], np.float32)
    kps = np.zeros((3, 7, 2), np.float32)
    out = weighted_nms(boxes, scores, kps)
    assert [round(s, 2) for _, s, _ in out] == [0.9, 0.5]
    assert out[0][0][0] == pytest.approx(0.6 / 1.5)  # the score-weighted mean


def test_a_missing_or_wrong_model_is_a_clear_error(tmp_path):
    with pytest.raises(DetectorError, match="not found"):
        load_palm_detector(path=tmp_path / "none.tflite")
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model")
    with pytest.raises(DetectorError, match="not a TFLite model"):
        load_palm_detector(path=bad)
