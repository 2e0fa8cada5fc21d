"""Zone geometry in pixels: which persons count as inside a zone.

Site files give polygons as fractions of the image so they survive a change of stream
resolution (main stream vs substream); here they become pixels for one frame size.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import cv2
import numpy as np

from detectors.observations import ZonePurpose


class Anchor(StrEnum):
    """Which part of a person must be in a zone for them to count as in it."""

    FEET = "feet"  # bottom centre of the box: floor zones seen from above
    UPPER_BODY = "upper_body"  # the box's upper half overlapping: seated posts behind a counter
    CENTER = "center"


DEFAULT_ANCHOR = {
    ZonePurpose.TELLER_POST: Anchor.UPPER_BODY,
    ZonePurpose.COUNTER_SURFACE: Anchor.UPPER_BODY,
    ZonePurpose.ONE_METRE_ZONE: Anchor.FEET,
    ZonePurpose.LOBBY_MANAGER: Anchor.FEET,
    ZonePurpose.LOBBY: Anchor.FEET,
    ZonePurpose.GUARD: Anchor.FEET,
}

#: share of a box's upper half that must lie in the zone for the UPPER_BODY anchor
UPPER_BODY_MIN_OVERLAP = 0.3


@dataclass(frozen=True)
class PixelZone:
    zone_id: str
    purpose: ZonePurpose
    anchor: Anchor
    polygon: np.ndarray  # (K, 2) int32 pixels
    frame_size: tuple[int, int]  # (width, height)

    @classmethod
    def from_normalized(
        cls,
        zone_id: str,
        purpose: ZonePurpose,
        polygon: tuple[tuple[float, float], ...],
        frame_size: tuple[int, int],
        anchor: Anchor | None = None,
    ) -> PixelZone:
        w, h = frame_size
        # A point at 1.0 lands on the last pixel, not one past the frame.
        scale = np.array([w - 1, h - 1], np.float64)
        pixels = np.round(np.asarray(polygon, np.float64) * scale).astype(np.int32)
        return cls(zone_id, purpose, anchor or DEFAULT_ANCHOR[purpose], pixels, frame_size)

    @cached_property
    def mask(self) -> np.ndarray:
        w, h = self.frame_size
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [self.polygon], 1)
        return mask

    @cached_property
    def bbox(self) -> tuple[int, int, int, int]:
        x, y, w, h = cv2.boundingRect(self.polygon)
        return x, y, x + w, y + h

    def contains_point(self, x: float, y: float) -> bool:
        w, h = self.frame_size
        xi = int(min(max(x, 0), w - 1))
        yi = int(min(max(y, 0), h - 1))
        return bool(self.mask[yi, xi])

    def box_overlap(self, box: np.ndarray) -> float:
        """Share of a box's area (pixels of the frame) inside the zone."""
        w, h = self.frame_size
        x1, y1 = int(max(box[0], 0)), int(max(box[1], 0))
        x2, y2 = int(min(np.ceil(box[2]), w)), int(min(np.ceil(box[3]), h))
        if x2 <= x1 or y2 <= y1:
            return 0.0
        return float(self.mask[y1:y2, x1:x2].mean())

    def holds(self, box: np.ndarray) -> bool:
        """Whether a person with this box counts as in the zone, by the zone's anchor."""
        x1, y1, x2, y2 = (float(v) for v in box)
        if self.anchor is Anchor.FEET:
            return self.contains_point((x1 + x2) / 2, y2)
        if self.anchor is Anchor.CENTER:
            return self.contains_point((x1 + x2) / 2, (y1 + y2) / 2)
        upper = np.array([x1, y1, x2, (y1 + y2) / 2])
        return self.box_overlap(upper) >= UPPER_BODY_MIN_OVERLAP

    def members(self, boxes: np.ndarray) -> np.ndarray:
        """Indices of the boxes that count as in the zone."""
        return np.array([i for i, b in enumerate(boxes) if self.holds(b)], np.int64)


def upper_body_share(box, person) -> float:
    """Share of a (phone) box inside a person's upper body: head, hands at chest, arms."""
    x1, y1, x2, y2 = person
    upper = (x1, y1, x2, y1 + 0.65 * (y2 - y1))
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-6)
    iw = min(box[2], upper[2]) - max(box[0], upper[0])
    ih = min(box[3], upper[3]) - max(box[1], upper[1])
    return float(iw * ih / area) if iw > 0 and ih > 0 else 0.0
