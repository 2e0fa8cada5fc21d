"""MoveNet MultiPose Lightning through onnxruntime: 17 keypoints for up to 6 people.

The model file is shipped (detectors/models/README.md); the raised-hand stage runs it on
the staff of teller posts (detectors/hands.py reads raised hands from its keypoints).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detectors.backends.onnx import letterbox, onnx_session
from detectors.base import DetectorError

DEFAULT_WEIGHTS = Path(__file__).parents[1] / "models" / "movenet-multipose-256.onnx"
#: the export takes any multiple of 32. On staff crops smaller inputs keep 96-97 % of the
#: keypoints (192: half the cost) but moved wrists on a real clip; 256 on a canvas fitted
#: to the crop (below) costs a fifth less than the square (docs/benchmarks.md)
INPUT_SIZE = 256
KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
K = {name: i for i, name in enumerate(KEYPOINTS)}


@dataclass(frozen=True)
class Pose:
    """One person's 17 keypoints in frame pixels: (17, 2) x, y and (17,) scores."""

    xy: np.ndarray
    score: np.ndarray
    box_score: float

    def seen(self, name: str, min_score: float) -> bool:
        return bool(self.score[K[name]] >= min_score)

    def at(self, name: str) -> np.ndarray:
        return self.xy[K[name]]


class MoveNetMultiPose:
    """MoveNet MultiPose Lightning (up to 6 people) through onnxruntime, letterboxed into
    the smallest canvas of 32-multiples around the image scaled to `input_size`: a standing
    person's crop costs about three quarters of the square."""

    def __init__(
        self,
        weights: str | Path | None = None,
        threads: int | None = None,
        input_size: int = INPUT_SIZE,
        square: bool = False,
    ) -> None:
        if input_size < 32 or input_size % 32:
            raise DetectorError(f"MoveNet input must be a multiple of 32, got {input_size}")
        self.input_size = input_size
        self._fit = None if square else 32  # square: the canvas of the export's examples
        path = Path(weights) if weights is not None else DEFAULT_WEIGHTS
        self._session, digest = onnx_session(path, threads)
        inp = self._session.get_inputs()[0]
        if len(inp.shape) != 4 or inp.shape[3] != 3 or "int32" not in inp.type:
            raise DetectorError(f"{path}: not a MoveNet MultiPose export ({inp.type} {inp.shape})")
        self._input = inp.name
        self.version = f"movenet-multipose-{input_size}{'' if square else 'fit'}@{digest}"

    def poses(self, image: np.ndarray, min_box_score: float = 0.2) -> list[Pose]:
        """The people in a BGR image (a crop or a frame), keypoints in its pixels."""
        canvas, (px, py, sx, sy, _, _) = letterbox(image, self.input_size, 0, fit=self._fit)
        ch, cw = canvas.shape[:2]
        rgb = canvas[None, :, :, ::-1].astype(np.int32)
        out = self._session.run(None, {self._input: rgb})[0][0]  # (6, 56)
        poses = []
        for row in out:
            if row[55] < min_box_score:
                continue
            kp = row[:51].reshape(17, 3)
            xy = np.stack([(kp[:, 1] * cw - px) * sx, (kp[:, 0] * ch - py) * sy], 1)
            poses.append(Pose(xy.astype(np.float32), kp[:, 2].astype(np.float32), float(row[55])))
        return poses
