"""One camera's per-frame analysis: gate, detect, observe (with the phone stage where a
camera has staff zones), and the one place that chain is built (`build_analyzer`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from detectors.backends.movenet import MoveNetMultiPose
from detectors.base import Detector
from detectors.detections import Detections
from detectors.frame import NativePixels
from detectors.hands import HandStage
from detectors.motion import MotionGate
from detectors.observations import Cadence, FrameObservation, ZonePurpose
from detectors.observer import STAFF_PURPOSES, ZoneObserver, ZoneSpec
from detectors.phone import PhoneStage, PhoneStageSettings


@dataclass(frozen=True)
class FrameResult:
    observation: FrameObservation
    detections: Detections
    detected: bool  # False when the motion gate reused the previous detections


class CameraAnalyzer:
    def __init__(
        self,
        detector: Detector,
        observer: ZoneObserver,
        gate: MotionGate | None = None,
        cadence: Mapping[ZonePurpose, Cadence] | None = None,
        settle_s: float = 0.0,
    ) -> None:
        """`cadence`, `settle_s`: when the sampler may go coarse (`wants_dense`)."""
        self.detector = detector
        self.observer = observer
        self.gate = gate
        self.cadence = cadence or {}
        self.settle_s = settle_s
        self._last: Detections | None = None
        self._observation: FrameObservation | None = None
        self._changed_at: datetime | None = None
        self._gate_size: tuple[int, int] | None = None
        self.frames = 0
        self.inferences = 0

    @property
    def version(self) -> str:
        """The models behind this camera's observations, as findings record them."""
        stages = (self.observer.phone_stage, self.observer.hand_stage)
        return "+".join([self.detector.version, *(s.version for s in stages if s is not None)])

    def analyze(
        self, t: datetime, frame: np.ndarray, native: NativePixels | None = None
    ) -> FrameResult:
        """`frame` at the analysed size; `native`: its recording's pixels, for the crops of
        the phone and hand stages (detectors/frame.py)."""
        self.frames += 1
        last = self._last
        changed = self.gate is None or self._changed(frame)  # the gate sees every frame
        if last is None or changed:
            last = self._last = self.detector.detect(frame)
            self.inferences += 1
            fresh = True
        else:
            fresh = False
        observation = self.observer.observe(t, frame, last, fresh=fresh, native=native)
        if self._observation is None or observation.state() != self._observation.state():
            self._changed_at = t
        self._observation = observation
        return FrameResult(observation, last, fresh)

    def wants_dense(self) -> bool:
        """Whether the sampler should deliver the full rate next: before the first sample,
        while a zone needs it (`FrameObservation.wants_dense`), and until the zones have
        kept their state for `settle_s` (the rules' debouncing window: a state that flips
        between coarse samples would be read as lasting until the next one)."""
        obs = self._observation
        if obs is None or obs.wants_dense(self.cadence):
            return True
        return (obs.t - self._changed_at).total_seconds() < self.settle_s

    def _changed(self, frame: np.ndarray) -> bool:
        assert self.gate is not None
        size = (frame.shape[1], frame.shape[0])
        if size != self._gate_size:
            self._gate_size = size
            self.gate.watch([z.mask for z in self.observer.pixel_zones(size)])
        return self.gate.needs_detection(frame)


@functools.cache
def _phone_models(settings: PhoneStageSettings) -> PhoneStage:
    """The phone stage's models, loaded once per process and settings."""
    return PhoneStage(settings)


@functools.cache
def _hand_model(threads: int | None) -> MoveNetMultiPose:
    """The hand stage's pose model, loaded once per process."""
    return MoveNetMultiPose(threads=threads)


def needs_phone_stage(zones: Sequence[ZoneSpec]) -> bool:
    """Whether anybody's phone is judged on a camera with these zones."""
    return any(z.purpose in STAFF_PURPOSES for z in zones)


def build_analyzer(
    camera: str,
    zones: Sequence[ZoneSpec],
    detector: Detector,
    *,
    gate: bool | MotionGate = True,
    phone: PhoneStageSettings | None = None,
    cadence: Mapping[ZonePurpose, Cadence] | None = None,
    settle_s: float = 0.0,
) -> CameraAnalyzer:
    """The gate → detector → observer → phone stage chain of one camera. `phone=None`:
    phone use from the full-frame detector only; otherwise a fresh stage (its per-zone
    memory is this camera's own) on the process's models, for cameras with staff zones.
    Teller posts marked `hand_raise` get the hand stage, whatever `phone` says."""
    stage = None
    if phone is not None and needs_phone_stage(zones):
        models = _phone_models(phone)
        stage = PhoneStage(models.settings, models.detector, models.palm_model)
    hands = None
    if any(z.hand_raise for z in zones):
        hands = HandStage(_hand_model(phone.threads if phone is not None else None))
    observer = ZoneObserver(camera, list(zones), phone_stage=stage, hand_stage=hands)
    motion = MotionGate() if gate is True else (gate or None)  # or a gate of the caller's
    return CameraAnalyzer(detector, observer, motion, cadence, settle_s)
