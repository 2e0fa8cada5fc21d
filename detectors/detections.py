"""The one record that flows from every detector backend to the rules.

Boxes are in pixels of the frame the caller passed in (never of the model's letterboxed
input), so zone geometry downstream never needs to know which backend ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

COCO80: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat",
    "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack",
    "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball",
    "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket",
    "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair",
    "couch", "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse",
    "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier",
    "toothbrush",
)  # fmt: skip

# Named groups the rules ask for. A bank's own model may name its classes differently;
# the aliases let its "phone" or "mobile_phone" class land in the same group.
CLASS_GROUPS: dict[str, frozenset[str]] = {
    "person": frozenset({"person"}),
    "phone": frozenset({"cell phone", "phone", "mobile phone", "mobile_phone", "cellphone"}),
    "clutter": frozenset({
        "cup", "bottle", "wine glass", "bowl", "handbag", "backpack", "book", "laptop",
        "scissors", "umbrella", "remote", "suitcase", "vase", "banana", "apple", "orange",
        "sandwich", "cell phone", "teddy bear", "potted plant", "clock",
    }),
}  # fmt: skip


@dataclass(frozen=True)
class Detections:
    """Boxes, scores and classes of one frame, as parallel arrays.

    Every backend returns this record; the rules ask for its named groups:

    >>> dets = Detections.from_arrays(
    ...     xyxy=[[100, 50, 180, 300], [140, 120, 160, 150], [400, 200, 430, 260]],
    ...     confidence=[0.9, 0.35, 0.6],
    ...     class_id=[COCO80.index("person"), COCO80.index("cell phone"), COCO80.index("bottle")],
    ... )
    >>> len(dets), dets.names
    (3, ['person', 'cell phone', 'bottle'])
    >>> dets.in_group("person").to_records()
    [{'cls': 'person', 'conf': 0.9, 'xyxy': [100.0, 50.0, 180.0, 300.0]}]
    >>> dets.in_group("clutter").names  # a phone on the counter is clutter too
    ['cell phone', 'bottle']
    >>> dets.with_min_confidence(0.5).in_group("phone").names
    []
    """

    xyxy: np.ndarray  # (N, 4) float32, pixels of the caller's frame
    confidence: np.ndarray  # (N,) float32
    class_id: np.ndarray  # (N,) int32, index into class_names
    class_names: tuple[str, ...] = field(default=COCO80)

    def __post_init__(self) -> None:
        n = len(self.confidence)
        if self.xyxy.shape != (n, 4) or self.class_id.shape != (n,):
            raise ValueError(
                f"inconsistent detections: xyxy {self.xyxy.shape}, "
                f"confidence {self.confidence.shape}, class_id {self.class_id.shape}"
            )

    @classmethod
    def empty(cls, class_names: tuple[str, ...] = COCO80) -> Detections:
        return cls(
            np.zeros((0, 4), np.float32),
            np.zeros(0, np.float32),
            np.zeros(0, np.int32),
            class_names,
        )

    @classmethod
    def from_arrays(
        cls,
        xyxy: Iterable,
        confidence: Iterable,
        class_id: Iterable,
        class_names: tuple[str, ...] = COCO80,
    ) -> Detections:
        return cls(
            np.asarray(xyxy, np.float32).reshape(-1, 4),
            np.asarray(confidence, np.float32).reshape(-1),
            np.asarray(class_id, np.int32).reshape(-1),
            tuple(class_names),
        )

    def __len__(self) -> int:
        return len(self.confidence)

    def __getitem__(self, index: np.ndarray | slice | Sequence[int]) -> Detections:
        return Detections(
            self.xyxy[index], self.confidence[index], self.class_id[index], self.class_names
        )

    @property
    def names(self) -> list[str]:
        return [self.class_names[i] for i in self.class_id]

    def in_group(self, group: str) -> Detections:
        """The detections whose class belongs to a named group (`person`, `phone`, `clutter`)."""
        try:
            members = CLASS_GROUPS[group]
        except KeyError:
            raise KeyError(
                f"unknown class group {group!r}; known: {sorted(CLASS_GROUPS)}"
            ) from None
        ids = [i for i, name in enumerate(self.class_names) if name in members]
        return self[np.isin(self.class_id, ids)]

    def with_min_confidence(self, threshold: float) -> Detections:
        return self[self.confidence >= threshold]

    def to_records(self, ndigits: int = 1) -> list[dict]:
        """JSON-ready rows: `{"cls": name, "conf": c, "xyxy": [x1, y1, x2, y2]}`."""
        return [
            {
                "cls": self.class_names[int(c)],
                "conf": round(float(s), 3),
                "xyxy": [round(float(v), ndigits) for v in box],
            }
            for box, s, c in zip(self.xyxy, self.confidence, self.class_id, strict=True)
        ]
