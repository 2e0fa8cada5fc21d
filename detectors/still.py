"""Regions that held still since the last sample: their last result is reused.

The motion gate (detectors/motion.py) skips a sample only when nothing in the zones moved;
a teller seated at the post stays the same while customers come and go in front of them,
and searching their hands is most of the phone stage's cost (detectors/phone.py). A region
(a person's upper body; a window around one hand while the rest of the person moves) in
the same place whose pixels changed in no cell by `STILL_DELTA` keeps its last result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

#: the upper body as a grid of cells (width, height), and the change of any cell's mean grey
#: level (0-255) that counts as movement: a hand lifting a phone changes a few cells by tens
STILL_GRID = (12, 16)
STILL_DELTA = 8.0
#: the same region: its box this much overlapping the one seen before
STILL_IOU = 0.8


@dataclass(frozen=True)
class Still:
    """A region as seen in one sample: box (frame pixels), thumbnail, result."""

    box: np.ndarray
    thumb: np.ndarray
    payload: Any


def still_thumb(crop: np.ndarray) -> np.ndarray:
    """The crop as STILL_GRID cells of mean grey."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, STILL_GRID, interpolation=cv2.INTER_AREA).astype(np.float32)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class StillRegions:
    """Each zone's regions as last seen, to reuse a result while its region holds still."""

    def __init__(self) -> None:
        self._zones: dict[str, list[Still]] = {}

    def recall(self, zone_id: str, box: np.ndarray, thumb: np.ndarray) -> Still | None:
        for seen in self._zones.get(zone_id, ()):
            if _iou(seen.box, box) >= STILL_IOU and np.abs(seen.thumb - thumb).max() < STILL_DELTA:
                return seen
        return None

    def update(self, zone_id: str, seen: list[Still]) -> None:
        """This sample's regions: the ones the next sample is compared with."""
        self._zones[zone_id] = seen
