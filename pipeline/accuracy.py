"""Observations held against per-second labels a person wrote by watching the clip
(tests/data/labels): the accuracy figures of docs/accuracy.md and the real-footage tests."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from detectors.observations import ZoneObservation
from pipeline.single_video import Observed


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
