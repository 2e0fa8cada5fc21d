"""onnxruntime backend for the shipped NanoDet-m (COCO-80, 416x416): the default detector.

CPU-first: it must run on a 2-core branch box. The model file comes from
`tools/convert_nanodet.py`; see `detectors/models/README.md` for its tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from detectors.backends.onnx import Back, letterbox, onnx_session, unletterbox
from detectors.base import DetectorError
from detectors.detections import COCO80, Detections

DEFAULT_WEIGHTS = Path(__file__).parents[1] / "models" / "nanodet-m-416.onnx"
STRIDES = (8, 16, 32)
REG_BINS = 11  # GFL distribution: reg_max 10, so 11 bins per box side
# The model was trained on BGR cv2 images with these statistics (not /255).
MEAN = np.array([103.53, 116.28, 123.675], np.float32)
STD = np.array([57.375, 57.12, 58.395], np.float32)
_NORM_LUT = (np.arange(256, dtype=np.float32) - MEAN[:, None]) / STD[:, None]  # (3, 256)
PAD_VALUE = 114
MAX_CANDIDATES = 1000  # bound NMS cost on cluttered frames with a low threshold
MAX_DETECTIONS = 300


def model_input(frame: np.ndarray, size: int) -> tuple[np.ndarray, Back]:
    """A BGR frame as the model's (3, size, size) input, and how to map boxes back: what
    inference and INT8 calibration (tools/quantize_nanodet.py) must both feed."""
    canvas, back = letterbox(frame, size, PAD_VALUE)
    chw = canvas.transpose(2, 0, 1)
    blob = np.stack([_NORM_LUT[c][chw[c]] for c in range(3)])  # 2x faster than float math
    return blob, back


class NanoDetOnnx:
    """NanoDet-m through onnxruntime, letterboxed: stretching a 16:9 frame
    to a square input loses people (docs/benchmarks.md, detector figures)."""

    def __init__(
        self,
        weights: str | Path | None = None,
        conf: float = 0.35,
        threads: int | None = None,
        iou: float = 0.6,
    ) -> None:
        path = Path(weights) if weights is not None else DEFAULT_WEIGHTS
        self._session, digest = onnx_session(path, threads)

        inp = self._session.get_inputs()[0]
        outputs = {o.name: o.shape for o in self._session.get_outputs()}
        self._outputs = [f"{kind}_s{s}" for s in STRIDES for kind in ("cls", "reg")]
        if (
            len(inp.shape) != 4 or inp.shape[1] != 3 or not isinstance(inp.shape[2], int)
            or inp.shape[2] != inp.shape[3] or any(n not in outputs for n in self._outputs)
            or outputs["cls_s8"][-1] != len(COCO80)
        ):  # fmt: skip
            raise DetectorError(
                f"{path}: not a NanoDet COCO-80 export from tools/convert_nanodet.py "
                f"(input {inp.shape}, outputs {sorted(outputs)})"
            )
        self._input = inp.name
        self._batched = inp.shape[0] != 1
        self.input_size: int = inp.shape[2]
        self.class_names: tuple[str, ...] = COCO80
        self.conf, self.iou = float(conf), float(iou)
        # variants made by tools/quantize_nanodet.py name themselves ("416-int8", "320")
        meta = self._session.get_modelmeta().custom_metadata_map
        self.version = f"nanodet-m-{meta.get('variant', self.input_size)}-coco@{digest}"

        # Anchor-point centres and strides, in the same order as the concatenated outputs.
        centres, strides = [], []
        for s in STRIDES:
            n = -(-self.input_size // s)
            ys, xs = np.mgrid[0:n, 0:n]
            centres.append(np.stack([xs.ravel(), ys.ravel()], 1) * s + s / 2)
            strides.append(np.full(n * n, s))
        self._centres = np.concatenate(centres).astype(np.float32)
        self._strides = np.concatenate(strides).astype(np.float32)
        self._bins = np.arange(REG_BINS, dtype=np.float32)

    def detect(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        if len(frames) == 0:
            return []
        blobs, boxes_back = zip(*(model_input(f, self.input_size) for f in frames), strict=True)
        if self._batched:
            raw = self._session.run(self._outputs, {self._input: np.stack(blobs)})
        else:
            runs = [self._session.run(self._outputs, {self._input: b[None]}) for b in blobs]
            raw = [np.concatenate(parts) for parts in zip(*runs, strict=True)]
        cls = np.concatenate(raw[0::2], axis=1)  # (B, anchors, 80), already sigmoid
        reg = np.concatenate(raw[1::2], axis=1)  # (B, anchors, 44), GFL logits
        return [self._decode(c, r, back) for c, r, back in zip(cls, reg, boxes_back, strict=True)]

    def _decode(self, cls: np.ndarray, reg: np.ndarray, back: Back) -> Detections:
        anchor, class_id = np.nonzero(cls > self.conf)
        if anchor.size == 0:
            return Detections.empty(self.class_names)
        score = cls[anchor, class_id]
        if score.size > MAX_CANDIDATES:
            top = np.argpartition(-score, MAX_CANDIDATES)[:MAX_CANDIDATES]
            anchor, class_id, score = anchor[top], class_id[top], score[top]

        # GFL: each side's distance is the expectation of a softmax over 11 bins, in strides.
        logits = reg[anchor].reshape(-1, 4, REG_BINS)
        p = np.exp(logits - logits.max(axis=2, keepdims=True))
        dist = (p @ self._bins) / p.sum(axis=2) * self._strides[anchor, None]
        ctr = self._centres[anchor]
        xyxy = np.concatenate([ctr - dist[:, :2], ctr + dist[:, 2:]], axis=1)

        xyxy = unletterbox(xyxy, back)

        keep = cv2.dnn.NMSBoxesBatched(
            np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1).tolist(),
            score.tolist(), class_id.tolist(), self.conf, self.iou, top_k=MAX_DETECTIONS,
        )  # fmt: skip
        keep = np.asarray(keep, np.int64).reshape(-1)
        keep = keep[np.argsort(-score[keep], kind="stable")]
        return Detections(
            xyxy[keep].astype(np.float32), score[keep].astype(np.float32),
            class_id[keep].astype(np.int32), self.class_names,
        )  # fmt: skip
