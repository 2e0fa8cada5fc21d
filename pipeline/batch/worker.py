"""One unit, start to finish, in whatever process runs it: sample → detect → observe.

Frames never leave the worker; what comes back is a small picklable UnitResult. A unit
never raises: whatever goes wrong becomes a failed result with its reason, so one corrupt
file or detector fault costs its own time (a coverage gap), not the night.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field

import numpy as np

from detectors.analyzer import build_analyzer
from detectors.base import Detector
from detectors.detections import Detections
from detectors.frame import CropSource
from detectors.registry import load_detector
from pipeline.batch.candidates import CandidateCollector, CandidateImage
from pipeline.batch.units import DetectorSpec, Unit, UnitRef
from pipeline.footage.sampler import FileSampler, FileTask
from pipeline.store.compact import Packed, pack
from pipeline.store.models import DONE, FAILED
from rules.calendar import CoverageGap
from rules.intervals import Interval

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnitResult:
    ref: UnitRef
    status: str  # done | failed
    reason: str = ""
    detector_version: str = ""
    observations: Packed | None = None
    observed: tuple[Interval, ...] = ()
    gaps: tuple[CoverageGap, ...] = ()
    samples: int = 0
    inferences: int = 0
    decoded: int = 0  # frames the decoder produced (pipeline/footage/sampler.py)
    #: seconds spent per stage: decode, inference (full frame), phone (palms and windows),
    #: observe (the rest)
    timings: dict[str, float] = field(default_factory=dict)
    #: the phone stage's crops kept for labelling (pipeline/batch/candidates.py)
    candidates: tuple[CandidateImage, ...] = ()

    @classmethod
    def failed(cls, ref: UnitRef, reason: str) -> UnitResult:
        return cls(ref, FAILED, reason)


@functools.cache
def detector_for(spec: DetectorSpec, threads: int) -> Detector:
    """Loaded once per worker process, then reused by every unit it runs."""
    return load_detector(spec.backend, spec.weights, spec.conf, threads or None)


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
    spec = settings.detector
    detector = _Timed(detector_for(spec, settings.sampling.threads))
    cadence = settings.cadence
    analyzer = build_analyzer(
        ref.camera, unit.zones, detector, gate=spec.gate, phone=spec.phone,
        cadence=dict(cadence.needs) if cadence else None,
        settle_s=cadence.settle_s if cadence else 0.0,
        state=cadence.state if cadence else None,
    )  # fmt: skip
    # Phones are a few dozen pixels: their crops come from the frame as recorded.
    sampling = settings.sampling
    observer = analyzer.observer
    if observer.phone_stage is not None or observer.hand_stage is not None:
        sampling = sampling.model_copy(update={"native_crops": True})
    sampler = FileSampler(
        FileTask(unit.segment, ref.lo, ref.hi),
        sampling,
        dense=analyzer.wants_dense if cadence else None,
        coarse_s=cadence.coarse_s if cadence else None,
        gap_s=cadence.gap_s if cadence else None,
    )
    collector = None if observer.phone_stage is None else CandidateCollector(ref.camera)
    samples = iter(sampler)
    frames, decode, analyze = [], 0.0, 0.0
    while True:
        t0 = time.perf_counter()
        sample = next(samples, None)
        t1 = time.perf_counter()
        decode += t1 - t0
        if sample is None:
            break
        result = analyzer.analyze(sample.t, sample.frame, sample.native)
        frames.append(result.observation)
        if collector is not None:
            collector.offer(sample.t, CropSource(sample.frame, sample.native), result, observer)
        analyze += time.perf_counter() - t1
    stage = observer.phone_stage
    phone_s = stage.counters.seconds if stage is not None else 0.0
    return UnitResult(
        ref,
        DONE,
        detector_version=analyzer.version,
        observations=pack(frames),
        observed=tuple(sampler.observed),
        gaps=tuple(sampler.gaps),
        samples=analyzer.frames,
        inferences=analyzer.inferences,
        decoded=sampler.decoded,
        timings={
            "decode": decode,
            "inference": detector.seconds,
            "phone": phone_s,
            "observe": analyze - detector.seconds - phone_s,
        },
        candidates=collector.images() if collector is not None else (),
    )
