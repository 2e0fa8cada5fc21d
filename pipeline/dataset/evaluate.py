"""A phone model's precision and recall on the reviewed set it did not train on, beside
the shipped model's, so a bank deploys its model only when it is better.

Each reviewed image is one answer: confirmed (a phone labelled) is a positive, dismissed
a negative. A model says "phone" for an image when it finds a phone of at least `conf`
anywhere in it — the window detector's question in the phone stage (detectors/phone.py),
asked here of the whole kept crop, not of a window around a hand. Images a model's training
manifest lists are left out, for every model alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import cv2
import numpy as np

from detectors.base import Detector
from pipeline.dataset.reviewed import SOURCES, ReviewedImage, reviewed_images
from pipeline.store.db import Database


@dataclass
class PhoneScores:
    """Counts over images; precision and recall are None when undefined (nothing said
    "phone", or nothing was one)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        said = self.tp + self.fp
        return self.tp / said if said else None

    @property
    def recall(self) -> float | None:
        were = self.tp + self.fn
        return self.tp / were if were else None

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": self.precision, "recall": self.recall}  # fmt: skip


@dataclass
class Evaluation:
    images: int
    positives: int
    excluded: int
    scores: dict[str, PhoneScores]
    skipped: list[dict] = field(default_factory=list)


def says_phone(detector: Detector, image: np.ndarray, conf: float) -> bool:
    return len(detector.detect(image).in_group("phone").with_min_confidence(conf)) > 0


def score(
    detectors: dict[str, Detector],
    records: Iterable[ReviewedImage],
    evidence: Path,
    conf: float,
    exclude: set[str] = frozenset(),
) -> Evaluation:
    """Every model on every reviewed image not in `exclude`; unreadable images are
    reported and skipped."""
    scores = {name: PhoneScores() for name in detectors}
    images = positives = excluded = 0
    skipped = []
    for record in records:
        if record.key in exclude:
            excluded += 1
            continue
        image = cv2.imread(str(evidence / record.image), cv2.IMREAD_COLOR)
        if image is None:
            skipped.append({"image": record.image, "key": record.key, "reason": "unreadable"})
            continue
        images += 1
        positives += record.positive
        for name, detector in detectors.items():
            said, was = says_phone(detector, image, conf), record.positive
            s = scores[name]
            s.tp += said and was
            s.fp += said and not was
            s.fn += was and not said
            s.tn += not (said or was)
    return Evaluation(images, positives, excluded, scores, skipped)


def evaluate(
    db: Database,
    evidence: Path,
    detectors: dict[str, Detector],
    conf: float,
    exclude: set[str] = frozenset(),
    since: date | None = None,
    sources: tuple[str, ...] = SOURCES,
) -> Evaluation:
    return score(detectors, reviewed_images(db, since, sources), evidence, conf, exclude)
