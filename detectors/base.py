"""What every detector backend offers, and how the CLI and pipeline pick one."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from detectors.detections import Detections


class DetectorError(Exception):
    """A detector could not be built or run; the message says why in user terms."""


@runtime_checkable
class Detector(Protocol):
    #: backend and model identity, recorded with every finding as the detector version
    version: str
    class_names: tuple[str, ...]

    def detect(self, frame: np.ndarray) -> Detections:
        """Detect objects in one BGR uint8 frame (H, W, 3)."""
        ...


BACKENDS = ("onnx", "yolo")


def load_detector(
    backend: str = "onnx",
    weights: str | Path | None = None,
    conf: float = 0.35,
    threads: int | None = None,
) -> Detector:
    """Build a detector by backend name; the default is the NanoDet-m model shipped here."""
    if not 0.0 < conf < 1.0:
        raise DetectorError(f"confidence threshold must be between 0 and 1, got {conf}")
    if weights is not None and not Path(weights).is_file() and Path(weights).suffix != ".yaml":
        raise DetectorError(f"weights file not found: {weights}")
    if backend == "onnx":
        from detectors.nanodet import NanoDetOnnx

        return NanoDetOnnx(weights, conf=conf, threads=threads)
    if backend == "yolo":
        from detectors.yolo import UltralyticsDetector

        return UltralyticsDetector(weights, conf=conf)
    raise DetectorError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
