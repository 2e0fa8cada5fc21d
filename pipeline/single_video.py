"""Observations of a single video, and their agreement with per-second labels.

Used by `observe`, by the accuracy report (benchmarks/observe_accuracy.py) and by the
tests that hold the observations to what a person sees in the real clips.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from detectors.analyzer import CameraAnalyzer, FrameResult, build_analyzer
from detectors.base import Detector
from detectors.observations import ZoneObservation
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
) -> tuple[CameraAnalyzer, Iterator[Observed]]:
    """The analyzer (for its counters) and the lazily observed samples of one video."""
    camera = site.camera(camera_id)
    analyzer = build_analyzer(camera.id, zone_specs(site, camera), detector, gate=gate, phone=phone)
    origin = video_origin(site)

    def observed() -> Iterator[Observed]:
        for sample in sample_video(video, rate=rate):
            t = origin + timedelta(seconds=sample.pts)
            yield Observed(sample.pts, sample, analyzer.analyze(t, sample.frame))

    return analyzer, observed()


def read_labels(path: str | Path, column: str) -> dict[int, int]:
    """Whole second → labelled value; seconds labelled `?` (ambiguous) are left out."""
    with open(path, newline="", encoding="utf-8") as f:
        return {int(row["t"]): int(row[column]) for row in csv.DictReader(f) if row[column] != "?"}


@dataclass(frozen=True)
class Agreement:
    right: int
    labelled: int
    wrong_at: tuple[int, ...]

    @property
    def share(self) -> float:
        return self.right / self.labelled if self.labelled else 0.0


def agreement(
    observed: list[Observed],
    labels: dict[int, int],
    zone_id: str,
    judge: Callable[[ZoneObservation], int],
    tolerance: int = 0,
) -> Agreement:
    """Share of labelled seconds where judge(observation) is within `tolerance` of the label."""
    by_second = {round(o.pts): o.result.observation.zones[zone_id] for o in observed}
    scored = [t for t in labels if t in by_second]
    wrong = tuple(t for t in scored if abs(judge(by_second[t]) - labels[t]) > tolerance)
    return Agreement(len(scored) - len(wrong), len(scored), wrong)
