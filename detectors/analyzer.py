"""One camera's per-frame analysis: gate, detect, observe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from detectors.base import Detector
from detectors.detections import Detections
from detectors.motion import MotionGate
from detectors.observations import FrameObservation
from detectors.observer import ZoneObserver


@dataclass(frozen=True)
class FrameResult:
    observation: FrameObservation
    detections: Detections
    detected: bool  # False when the motion gate reused the previous detections


class CameraAnalyzer:
    def __init__(
        self, detector: Detector, observer: ZoneObserver, gate: MotionGate | None = None
    ) -> None:
        self.detector = detector
        self.observer = observer
        self.gate = gate
        self._last: Detections | None = None
        self._gate_size: tuple[int, int] | None = None
        self.frames = 0
        self.inferences = 0

    def analyze(self, t: datetime, frame: np.ndarray) -> FrameResult:
        self.frames += 1
        last = self._last
        changed = self.gate is None or self._changed(frame)  # the gate sees every frame
        if last is None or changed:
            last = self._last = self.detector.detect(frame)
            self.inferences += 1
            fresh = True
        else:
            fresh = False
        observation = self.observer.observe(t, frame, last, fresh=fresh)
        return FrameResult(observation, last, fresh)

    def _changed(self, frame: np.ndarray) -> bool:
        assert self.gate is not None
        size = (frame.shape[1], frame.shape[0])
        if size != self._gate_size:
            self._gate_size = size
            self.gate.watch([z.mask for z in self.observer.pixel_zones(size)])
        return self.gate.needs_detection(frame)
