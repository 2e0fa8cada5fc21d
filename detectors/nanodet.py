"""onnxruntime backend for the shipped NanoDet-m (COCO-80, 416x416): the default detector.

CPU-first: it must run on a 2-core branch box. The model file comes from
`tools/convert_nanodet.py`; see `detectors/models/README.md` for its tensors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from detectors.base import DetectorError
from detectors.detections import COCO80, Detections

DEFAULT_WEIGHTS = Path(__file__).parent / "models" / "nanodet-m-416.onnx"
STRIDES = (8, 16, 32)
REG_BINS = 11  # GFL distribution: reg_max 10, so 11 bins per box side
# The model was trained on BGR cv2 images with these statistics (not /255).
MEAN = np.array([103.53, 116.28, 123.675], np.float32)
STD = np.array([57.375, 57.12, 58.395], np.float32)
_NORM_LUT = (np.arange(256, dtype=np.float32) - MEAN[:, None]) / STD[:, None]  # (3, 256)
PAD_VALUE = 114
MAX_CANDIDATES = 1000  # bound NMS cost on cluttered frames with a low threshold
MAX_DETECTIONS = 300

# How to map the model's input pixels back to the frame: pad x, pad y, scale x, scale y, w, h.
_Back = tuple[int, int, float, float, int, int]


class NanoDetOnnx:
    """NanoDet-m through onnxruntime, letterboxed (stretching loses people; see FACTS)."""

    def __init__(
        self,
        weights: str | Path | None = None,
        conf: float = 0.35,
        threads: int | None = None,
        iou: float = 0.6,
    ) -> None:
        import onnxruntime as ort

        path = Path(weights) if weights is not None else DEFAULT_WEIGHTS
        if not path.is_file():
            raise DetectorError(f"weights file not found: {path}")
        data = path.read_bytes()
        opts = ort.SessionOptions()
        # Decoding shares the cores: an idle-spinning pool slows the whole pipeline.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            opts.intra_op_num_threads = int(threads)
        available = ort.get_available_providers()
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
        try:
            self._session = ort.InferenceSession(data, opts, providers=providers)
        except Exception as exc:  # onnxruntime raises several private types for bad files
            raise DetectorError(f"{path}: not a valid ONNX model ({exc})") from exc

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
        digest = hashlib.sha256(data).hexdigest()[:8]
        self.version = f"nanodet-m-{self.input_size}-coco@{digest}"

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
        blobs, boxes_back = zip(*(self._letterbox(f) for f in frames), strict=True)
        if self._batched:
            raw = self._session.run(self._outputs, {self._input: np.stack(blobs)})
        else:
            runs = [self._session.run(self._outputs, {self._input: b[None]}) for b in blobs]
            raw = [np.concatenate(parts) for parts in zip(*runs, strict=True)]
        cls = np.concatenate(raw[0::2], axis=1)  # (B, anchors, 80), already sigmoid
        reg = np.concatenate(raw[1::2], axis=1)  # (B, anchors, 44), GFL logits
        return [self._decode(c, r, back) for c, r, back in zip(cls, reg, boxes_back, strict=True)]

    def _letterbox(self, frame: np.ndarray) -> tuple[np.ndarray, _Back]:
        if (
            not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3
            or frame.shape[2] != 3 or frame.shape[0] == 0 or frame.shape[1] == 0
        ):  # fmt: skip
            got = (
                f"{frame.dtype} array of shape {frame.shape}"
                if isinstance(frame, np.ndarray) else type(frame).__name__
            )  # fmt: skip
            raise DetectorError(f"expected a BGR uint8 frame of shape (H, W, 3), got {got}")
        h, w = frame.shape[:2]
        size = self.input_size
        scale = min(size / h, size / w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        px, py = (size - nw) // 2, (size - nh) // 2
        canvas = np.full((size, size, 3), PAD_VALUE, np.uint8)
        # Plain linear sampling of a 1080p frame aliases small objects and INTER_AREA costs
        # 5 ms; halving with pyrDown (Gaussian) first is antialiased and costs 1 ms.
        small = frame
        while small.shape[1] >= 2 * nw and small.shape[0] >= 2 * nh:
            small = cv2.pyrDown(small)
        canvas[py : py + nh, px : px + nw] = cv2.resize(small, (nw, nh))
        chw = canvas.transpose(2, 0, 1)
        blob = np.stack([_NORM_LUT[c][chw[c]] for c in range(3)])  # 2x faster than float math
        return blob, (px, py, w / nw, h / nh, w, h)

    def _decode(self, cls: np.ndarray, reg: np.ndarray, back: _Back) -> Detections:
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

        px, py, sx, sy, w, h = back
        xyxy = (xyxy - np.array([px, py, px, py], np.float32)) * np.array(
            [sx, sy, sx, sy], np.float32
        )
        xyxy = np.clip(xyxy, 0, np.array([w, h, w, h], np.float32))

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
