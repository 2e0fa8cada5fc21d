"""What every onnxruntime model here shares: the session set-up and the letterbox."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

from detectors.base import DetectorError

# How to map the model's input pixels back to the frame: pad x, pad y, scale x, scale y, w, h.
Back = tuple[int, int, float, float, int, int]


def onnx_session(path: Path, threads: int | None = None):
    """An onnxruntime session for a model file, and the first 8 hex digits of its sha256."""
    import onnxruntime as ort

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
        session = ort.InferenceSession(data, opts, providers=providers)
    except Exception as exc:  # onnxruntime raises several private types for bad files
        raise DetectorError(f"{path}: not a valid ONNX model ({exc})") from exc
    return session, hashlib.sha256(data).hexdigest()[:8]


def check_frame(frame: np.ndarray) -> None:
    if (
        not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3
        or frame.shape[2] != 3 or frame.shape[0] == 0 or frame.shape[1] == 0
    ):  # fmt: skip
        got = (
            f"{frame.dtype} array of shape {frame.shape}"
            if isinstance(frame, np.ndarray) else type(frame).__name__
        )  # fmt: skip
        raise DetectorError(f"expected a BGR uint8 frame of shape (H, W, 3), got {got}")


def letterbox(
    frame: np.ndarray, size: int, pad: int, fit: int | None = None
) -> tuple[np.ndarray, Back]:
    """The frame scaled into a size x size canvas, aspect kept (stretching loses people).
    `fit`: a model that takes any multiple of it gets the canvas cut down to the scaled
    frame's sides rounded up to such multiples (same scale, fewer padding pixels)."""
    check_frame(frame)
    h, w = frame.shape[:2]
    scale = min(size / h, size / w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    cw, ch = (size, size) if fit is None else (-(-nw // fit) * fit, -(-nh // fit) * fit)
    px, py = (cw - nw) // 2, (ch - nh) // 2
    canvas = np.full((ch, cw, 3), pad, np.uint8)
    # Plain linear sampling of a 1080p frame aliases small objects and INTER_AREA costs
    # 5 ms; halving with pyrDown (Gaussian) first is antialiased and costs 1 ms.
    small = frame
    while small.shape[1] >= 2 * nw and small.shape[0] >= 2 * nh:
        small = cv2.pyrDown(small)
    canvas[py : py + nh, px : px + nw] = cv2.resize(small, (nw, nh))
    return canvas, (px, py, w / nw, h / nh, w, h)


def unletterbox(xyxy: np.ndarray, back: Back) -> np.ndarray:
    """Boxes (N, 4) in canvas pixels → clipped boxes in the frame's pixels."""
    px, py, sx, sy, w, h = back
    out = (xyxy - np.array([px, py, px, py], np.float32)) * np.array([sx, sy, sx, sy], np.float32)
    return np.clip(out, 0, np.array([w, h, w, h], np.float32))
