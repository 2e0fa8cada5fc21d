"""What every detector backend offers: one method from a frame to `Detections`."""

from __future__ import annotations

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
