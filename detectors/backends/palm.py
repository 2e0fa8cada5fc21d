"""MediaPipe's palm detector (`palm_detection_full.tflite`) through ai-edge-litert: where
the hands are in a staff person's upper-body crop, for the phone stage's hand windows
(detectors/phone.py).

The model is shipped (detectors/models/README.md). Decoding follows MediaPipe's own graph
for it (`palm_detection_cpu.pbtxt` in the 0.10.21 wheel): the image letterboxed into
192×192 with black, RGB scaled to [0, 1] (in [-1, 1] every anchor scores 1.0), 2016 SSD
anchors of fixed size on strides 8 (24×24, 2 a cell) and 16 (12×12, 6 a cell), box and 7
keypoints per anchor, sigmoid scores, weighted NMS at IoU 0.3. A palm's `centre` is
MediaPipe's hand ROI centre: the palm box moved half its height from the wrist toward the
middle finger, where the hand (and a phone held in it) is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from detectors.backends.digest import file_digest
from detectors.base import DetectorError

INPUT = 192
#: per anchor layer group: stride, anchors per cell (MediaPipe's SsdAnchorsCalculator with
#: num_layers 4, strides 8, 16, 16, 16, one aspect ratio and its interpolated scale)
LAYERS = ((8, 2), (16, 6))
NMS_IOU = 0.3
#: the ROI centre lies this share of the palm box's height from its centre toward the
#: fingers (MediaPipe's RectTransformationCalculator, shift_y -0.5)
ROI_SHIFT = 0.5


@dataclass(frozen=True)
class Palm:
    """One palm in image pixels: its box (x1, y1, x2, y2), score, and the hand's centre."""

    box: tuple[float, float, float, float]
    score: float
    centre: tuple[float, float]

    @property
    def side(self) -> float:
        """The palm box's long side."""
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])

    def shifted(self, dx: float, dy: float) -> Palm:
        x1, y1, x2, y2 = self.box
        cx, cy = self.centre
        return Palm((x1 + dx, y1 + dy, x2 + dx, y2 + dy), self.score, (cx + dx, cy + dy))


def anchors() -> np.ndarray:
    """(2016, 2) anchor centres in [0, 1], in the model's output order."""
    out = []
    for stride, per_cell in LAYERS:
        n = INPUT // stride
        ys, xs = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        centres = np.stack([(xs + 0.5) / n, (ys + 0.5) / n], -1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(out).astype(np.float32)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = w * h
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, kps: np.ndarray, iou: float = NMS_IOU):
    """MediaPipe's weighted NMS: each cluster around its best box, box and keypoints the
    score-weighted mean of the cluster, score the best's."""
    order = np.argsort(-scores)
    boxes, scores, kps = boxes[order], scores[order], kps[order]
    alive = np.ones(len(scores), bool)
    out = []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        cluster = alive & (_iou(boxes[i], boxes) > iou)
        cluster[i] = True
        alive &= ~cluster
        w = scores[cluster][:, None]
        out.append(
            (
                (boxes[cluster] * w).sum(0) / w.sum(),
                float(scores[i]),
                (kps[cluster] * w[:, :, None]).sum(0) / w.sum(),
            )
        )
    return out


class PalmDetector:
    """Palms in a BGR image (a crop), best first, in its pixels."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise DetectorError(f"the palm detector needs ai-edge-litert: {exc}") from None
        path = Path(path)
        if not path.is_file():
            raise DetectorError(f"palm detector model not found: {path}")
        try:
            self._interp = Interpreter(str(path), num_threads=threads or 1)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise DetectorError(f"{path}: not a TFLite model: {exc}") from None
        inp = self._interp.get_input_details()[0]
        if tuple(inp["shape"]) != (1, INPUT, INPUT, 3):
            raise DetectorError(f"{path}: not MediaPipe's palm detector ({inp['shape']})")
        self._input = inp["index"]
        outs = {tuple(o["shape"]): o["index"] for o in self._interp.get_output_details()}
        self._regs, self._scores = outs[(1, 2016, 18)], outs[(1, 2016, 1)]
        self._anchors = anchors()
        self.version = f"palm-detection-full@{file_digest(path)}"
        self.runs = 0

    def palms(self, image: np.ndarray, min_score: float = 0.4) -> list[Palm]:
        h, w = image.shape[:2]
        if h < 2 or w < 2:
            return []
        k = INPUT / max(h, w)
        nw, nh = max(1, round(w * k)), max(1, round(h * k))
        px, py = (INPUT - nw) // 2, (INPUT - nh) // 2
        canvas = np.zeros((INPUT, INPUT, 3), np.float32)
        small = cv2.resize(
            image, (nw, nh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
        )
        canvas[py : py + nh, px : px + nw] = small[:, :, ::-1] / 255.0
        self._interp.set_tensor(self._input, canvas[None])
        self._interp.invoke()
        self.runs += 1
        raw = self._interp.get_tensor(self._regs)[0]
        logits = np.clip(self._interp.get_tensor(self._scores)[0, :, 0], -100, 100)
        scores = 1 / (1 + np.exp(-logits))
        keep = scores >= min_score
        if not keep.any():
            return []
        raw, scores, a = raw[keep], scores[keep], self._anchors[keep] * INPUT
        cx, cy = raw[:, 0] + a[:, 0], raw[:, 1] + a[:, 1]
        boxes = np.stack(
            [cx - raw[:, 2] / 2, cy - raw[:, 3] / 2, cx + raw[:, 2] / 2, cy + raw[:, 3] / 2], 1
        )
        kps = raw[:, 4:].reshape(-1, 7, 2) + a[:, None, :]
        back = np.array([px, py], np.float32)
        out = []
        for box, score, kp in weighted_nms(boxes, scores, kps):
            box = (box.reshape(2, 2) - back) / k
            kp = (kp - back) / k
            out.append(Palm(tuple(float(v) for v in box.ravel()), score, hand_centre(box, kp)))
        return out


def hand_centre(box: np.ndarray, kp: np.ndarray) -> tuple[float, float]:
    """MediaPipe's hand ROI centre: the box centre moved ROI_SHIFT of its height along the
    wrist (keypoint 0) → middle-finger base (keypoint 2) direction."""
    (x1, y1), (x2, y2) = box
    cx, cy, bh = (x1 + x2) / 2, (y1 + y2) / 2, y2 - y1
    angle = math.pi / 2 - math.atan2(-(kp[2, 1] - kp[0, 1]), kp[2, 0] - kp[0, 0])
    return (
        float(cx + ROI_SHIFT * bh * math.sin(angle)),
        float(cy - ROI_SHIFT * bh * math.cos(angle)),
    )
