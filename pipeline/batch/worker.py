"""One unit, start to finish, in whatever process runs it: sample → detect → observe.

Frames never leave the worker; what comes back is a small picklable UnitResult. A unit
never raises: whatever goes wrong becomes a failed result with its reason, so one corrupt
file or detector fault costs its own time (a coverage gap), not the night.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np

from detectors.analyzer import CameraAnalyzer
from detectors.base import Detector, load_detector
from detectors.detections import Detections
from detectors.motion import MotionGate
from detectors.observer import STAFF_PURPOSES, ZoneObserver
from detectors.phone import PhoneStage, PhoneStageSettings
from pipeline.batch.compact import pack
from pipeline.batch.units import DetectorSpec, Unit, UnitRef
from pipeline.sampler import FileSampler, FileTask

log = logging.getLogger(__name__)

DONE, FAILED = "done", "failed"

Span = tuple[float, float]  # POSIX seconds


@dataclass(frozen=True)
class UnitResult:
    ref: UnitRef
    status: str  # done | failed
    reason: str = ""
    detector_version: str = ""
    observations: dict | None = None  # compact (pipeline.batch.compact)
    observed: tuple[Span, ...] = ()
    gaps: tuple[tuple[float, float, str], ...] = ()  # start, end, reason
    samples: int = 0
    inferences: int = 0
    #: seconds spent per stage: decode, inference, observe
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def failed(cls, ref: UnitRef, reason: str) -> UnitResult:
        return cls(ref, FAILED, reason)


@functools.cache
def detector_for(spec: DetectorSpec, threads: int) -> Detector:
    """Loaded once per worker process, then reused by every unit it runs."""
    return load_detector(spec.backend, spec.weights, spec.conf, threads or None)


@functools.cache
def _phone_models() -> PhoneStage:
    """The phone stage's models, loaded once per worker process."""
    return PhoneStage(PhoneStageSettings())


def phone_stage_for(unit: Unit) -> PhoneStage | None:
    """A fresh stage (its per-zone memory is the unit's own) on the process's models, for a
    camera with staff zones; None where nobody's phone is judged."""
    if not unit.settings.detector.phone_stage or not any(
        z.purpose in STAFF_PURPOSES for z in unit.zones
    ):
        return None
    models = _phone_models()
    return PhoneStage(models.settings, models.detector, models.pose_model)


class _Timed:
    """The detector, with the time spent in it counted for this unit."""

    def __init__(self, detector: Detector) -> None:
        self.inner, self.seconds = detector, 0.0
        self.version, self.class_names = detector.version, detector.class_names

    def detect(self, frame: np.ndarray) -> Detections:
        t0 = time.perf_counter()
        try:
            return self.inner.detect(frame)
        finally:
            self.seconds += time.perf_counter() - t0


def run_unit(unit: Unit) -> UnitResult:
    if unit.error:
        return UnitResult.failed(unit.ref, unit.error)
    try:
        return _run(unit)
    except Exception as exc:  # any fault of one file is that unit's failure alone
        log.exception("unit %s failed", unit.ref.name)
        return UnitResult.failed(unit.ref, f"{type(exc).__name__}: {exc}")


def _run(unit: Unit) -> UnitResult:
    settings, ref = unit.settings, unit.ref
    assert unit.segment is not None
    detector = _Timed(detector_for(settings.detector, settings.sampling.threads))
    phone_stage = phone_stage_for(unit)
    observer = ZoneObserver(ref.camera, list(unit.zones), phone_stage=phone_stage)
    gate = MotionGate() if settings.detector.gate else None
    analyzer = CameraAnalyzer(detector, observer, gate)
    # Phones are a few dozen pixels: their crops come from the frame as recorded.
    sampling = replace(settings.sampling, max_side=None) if phone_stage else settings.sampling
    sampler = FileSampler(FileTask(unit.segment, ref.lo, ref.hi), sampling)
    samples = iter(sampler)
    frames, decode, analyze = [], 0.0, 0.0
    while True:
        t0 = time.perf_counter()
        sample = next(samples, None)
        t1 = time.perf_counter()
        decode += t1 - t0
        if sample is None:
            break
        frames.append(analyzer.analyze(sample.t, sample.frame).observation)
        analyze += time.perf_counter() - t1
    return UnitResult(
        ref,
        DONE,
        detector_version=detector.version + (f"+{phone_stage.version}" if phone_stage else ""),
        observations=pack(frames),
        observed=tuple((a.timestamp(), b.timestamp()) for a, b in sampler.observed),
        gaps=tuple((g.start.timestamp(), g.end.timestamp(), str(g.reason)) for g in sampler.gaps),
        samples=analyzer.frames,
        inferences=analyzer.inferences,
        timings={
            "decode": decode,
            "inference": detector.seconds,
            "observe": analyze - detector.seconds,
        },
    )
