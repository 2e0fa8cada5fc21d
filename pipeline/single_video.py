"""Observations of a single video on its own (no site day, no database): for `observe`,
the accuracy report (benchmarks/observe_accuracy.py) and the tests on the real clips."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from detectors.analyzer import CameraAnalyzer, build_analyzer
from detectors.base import Detector
from detectors.observer import FrameResult
from detectors.phone import PhoneStageSettings
from pipeline.footage.sampler import Sample, sample_video
from pipeline.site import Site, zone_specs


def video_origin(site: Site) -> datetime:
    """The wall-clock time a lone video's t=0 stands for: it has none of its own."""
    return datetime(2000, 1, 1, tzinfo=site.tz)


@dataclass(frozen=True)
class Observed:
    pts: float  # seconds from the video's first frame
    sample: Sample
    result: FrameResult


def observe_video(
    video: str | Path,
    site: Site,
    camera_id: str,
    detector: Detector,
    rate: float = 1.0,
    gate: bool = True,
    phone: PhoneStageSettings | None = None,
    max_side: int | None = None,
) -> tuple[CameraAnalyzer, Iterator[Observed]]:
    """The analyzer (for its counters) and the lazily observed samples of one video.
    `max_side`: analysed as the nightly run does (pipeline/batch/worker.py), the frame
    scaled and the phone and hand stages' crops from the video's own pixels."""
    camera = site.camera(camera_id)
    analyzer = build_analyzer(camera.id, zone_specs(site, camera), detector, gate=gate, phone=phone)
    origin = video_origin(site)

    def observed() -> Iterator[Observed]:
        for sample in sample_video(video, rate=rate, max_side=max_side, native_crops=True):
            t = origin + timedelta(seconds=sample.pts)
            yield Observed(sample.pts, sample, analyzer.analyze(t, sample.frame, sample.native))

    return analyzer, observed()
