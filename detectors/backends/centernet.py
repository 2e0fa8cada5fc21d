"""onnxruntime backend for CenterNet-MobileNetV3 (COCO-80, 512x512): the phone stage's crop
detector. On a staff crop at native resolution it finds held phones that NanoDet-m misses
(docs/accuracy.md, "Phone use"); it is not used on whole frames.

The model file comes from `tools/convert_human_models.py`; the decoding (peaks, top 100,
boxes in input pixels) is inside the graph, so this only letterboxes and maps boxes back.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detectors.backends.onnx import letterbox, onnx_session, unletterbox
from detectors.base import DetectorError
from detectors.detections import COCO80, Detections

DEFAULT_WEIGHTS = Path(__file__).parents[1] / "models" / "centernet-mbv3-512.onnx"
INPUT_SIZE = 512


class CenterNetOnnx:
    """CenterNet through onnxruntime; input RGB 0..255, letterboxed with black."""

    def __init__(
        self,
        weights: str | Path | None = None,
        conf: float = 0.1,
        threads: int | None = None,
        iou: float = 0.5,
    ) -> None:
        path = Path(weights) if weights is not None else DEFAULT_WEIGHTS
        self._session, digest = onnx_session(path, threads)
        inp = self._session.get_inputs()[0]
        if list(inp.shape) != [1, INPUT_SIZE, INPUT_SIZE, 3] or "detections" not in {
            o.name for o in self._session.get_outputs()
        }:
            raise DetectorError(
                f"{path}: not a CenterNet export from tools/convert_human_models.py"
            )
        self._input = inp.name
        self.class_names: tuple[str, ...] = COCO80
        self.conf, self.iou = float(conf), float(iou)
        self.version = f"centernet-mbv3-{INPUT_SIZE}-coco@{digest}"

    def detect(self, frame: np.ndarray) -> Detections:
        canvas, back = letterbox(frame, INPUT_SIZE, 0)
        x = canvas[None, :, :, ::-1].astype(np.float32)
        rows = self._session.run(["detections"], {self._input: x})[0][0]  # (100, 6), best first
        rows = rows[rows[:, 4] >= self.conf]
        if len(rows) == 0:
            return Detections.empty(self.class_names)
        xyxy = unletterbox(rows[:, :4], back)
        # CenterNet's 3x3 peak picking leaves overlapping boxes of one object at a few peaks.
        keep = cv2.dnn.NMSBoxesBatched(
            np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1).tolist(),
            rows[:, 4].tolist(), rows[:, 5].astype(int).tolist(), self.conf, self.iou,
        )  # fmt: skip
        keep = np.sort(np.asarray(keep, np.int64).reshape(-1))
        return Detections.from_arrays(xyxy[keep], rows[keep, 4], rows[keep, 5], self.class_names)
