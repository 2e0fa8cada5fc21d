import numpy as np
import pytest

from detectors.detections import COCO80, Detections


def _dets() -> Detections:
    return Detections.from_arrays(
        [[0, 0, 10, 20], [5, 5, 15, 15], [1, 2, 3, 4], [10, 10, 40, 90]],
        [0.9, 0.4, 0.7, 0.2],
        [COCO80.index("person"), COCO80.index("cell phone"), COCO80.index("cup"), 0],
    )


def test_groups_select_by_class_name():
    d = _dets()
    assert d.in_group("person").names == ["person", "person"]
    assert d.in_group("phone").names == ["cell phone"]
    # a phone left on the counter is clutter too
    assert sorted(d.in_group("clutter").names) == ["cell phone", "cup"]


def test_groups_follow_a_custom_models_names():
    d = Detections.from_arrays([[0, 0, 1, 1], [0, 0, 2, 2]], [0.8, 0.8], [1, 0], ("staff", "phone"))
    assert d.in_group("phone").names == ["phone"]
    assert len(d.in_group("person")) == 0


def test_unknown_group_is_an_error():
    with pytest.raises(KeyError, match="unknown class group"):
        _dets().in_group("weapons")


def test_confidence_filter_and_records():
    d = _dets().with_min_confidence(0.5)
    assert d.to_records() == [
        {"cls": "person", "conf": 0.9, "xyxy": [0.0, 0.0, 10.0, 20.0]},
        {"cls": "cup", "conf": 0.7, "xyxy": [1.0, 2.0, 3.0, 4.0]},
    ]


def test_inconsistent_arrays_are_rejected():
    with pytest.raises(ValueError, match="inconsistent"):
        Detections(np.zeros((2, 4), np.float32), np.zeros(3, np.float32), np.zeros(2, np.int32))


def test_empty_record():
    d = Detections.empty()
    assert len(d) == 0 and d.to_records() == [] and len(d.in_group("person")) == 0
