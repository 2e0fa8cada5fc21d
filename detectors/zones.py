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

from detectors.detections import Detections
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
    ZonePurpose.MEETING: Anchor.FEET,
}

#: share of a box's upper half that must lie in the zone for the UPPER_BODY anchor
UPPER_BODY_MIN_OVERLAP = 0.3


@dataclass(frozen=True)
class PixelZone:
    """A site zone in one frame size's pixels; who is in it is decided by its anchor.

    A site file's polygon is fractions of the picture; a 1920×1080 frame puts it here:

    >>> post = PixelZone.from_normalized(
    ...     "post-1", ZonePurpose.TELLER_POST, ((0.1, 0.2), (0.4, 0.2), (0.4, 0.7), (0.1, 0.7)),
    ...     (1920, 1080),
    ... )
    >>> post.polygon.tolist(), post.anchor.value
    ([[192, 216], [768, 216], [768, 755], [192, 755]], 'upper_body')

    A teller seated behind the counter counts by the upper half of their box; a person
    whose box only grazes the zone does not:

    >>> post.trigger(np.array([[300, 250, 600, 900], [700, 100, 1000, 900]])).tolist()
    [True, False]

    Floor zones count a person by their feet (the bottom centre of the box):

    >>> line = PixelZone.from_normalized(
    ...     "line-1", ZonePurpose.ONE_METRE_ZONE, ((0.5, 0.5), (1, 0.5), (1, 1), (0.5, 1)),
    ...     (1920, 1080),
    ... )
    >>> line.trigger(np.array([[1000, 200, 1200, 800], [1000, 100, 1200, 400]])).tolist()
    [True, False]
    """

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

    @cached_property
    def _integral(self) -> np.ndarray:
        """Summed-area table of the mask: any box's inside share in four lookups."""
        return cv2.integral(self.mask)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Whether each point (N, 2) lies in the zone; points off the frame are clipped to
        its edge (a box cut by the frame's bottom row still has feet)."""
        w, h = self.frame_size
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        xi = np.clip(pts[:, 0], 0, w - 1).astype(np.int64)
        yi = np.clip(pts[:, 1], 0, h - 1).astype(np.int64)
        return self.mask[yi, xi].astype(bool)

    def overlap(self, boxes: np.ndarray) -> np.ndarray:
        """Share of each box's area (N, 4 frame pixels) inside the zone."""
        w, h = self.frame_size
        b = np.asarray(boxes, np.float64).reshape(-1, 4)
        x1 = np.maximum(b[:, 0], 0).astype(np.int64)
        y1 = np.maximum(b[:, 1], 0).astype(np.int64)
        x2 = np.minimum(np.ceil(b[:, 2]), w).astype(np.int64)
        y2 = np.minimum(np.ceil(b[:, 3]), h).astype(np.int64)
        area = (x2 - x1) * (y2 - y1)
        ok = (x2 > x1) & (y2 > y1)
        x1, y1, x2, y2 = (np.where(ok, v, 0) for v in (x1, y1, x2, y2))
        i = self._integral
        inside = i[y2, x2] - i[y1, x2] - i[y2, x1] + i[y1, x1]
        return np.where(ok, inside / np.maximum(area, 1), 0.0)

    def trigger(self, detections: Detections | np.ndarray) -> np.ndarray:
        """Whether each person box counts as in the zone, by the zone's anchor: one
        vectorised test for all boxes of a frame."""
        xyxy = detections.xyxy if isinstance(detections, Detections) else detections
        b = np.asarray(xyxy, np.float64).reshape(-1, 4)
        cx = (b[:, 0] + b[:, 2]) / 2
        if self.anchor is Anchor.FEET:
            return self.contains(np.stack([cx, b[:, 3]], 1))
        if self.anchor is Anchor.CENTER:
            return self.contains(np.stack([cx, (b[:, 1] + b[:, 3]) / 2], 1))
        upper = np.stack([b[:, 0], b[:, 1], b[:, 2], (b[:, 1] + b[:, 3]) / 2], 1)
        return self.overlap(upper) >= UPPER_BODY_MIN_OVERLAP


def upper_body_share(box, person) -> float:
    """Share of a (phone) box inside a person's upper body: head, hands at chest, arms."""
    x1, y1, x2, y2 = person
    upper = (x1, y1, x2, y1 + 0.65 * (y2 - y1))
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-6)
    iw = min(box[2], upper[2]) - max(box[0], upper[0])
    ih = min(box[3], upper[3]) - max(box[1], upper[1])
    return float(iw * ih / area) if iw > 0 and ih > 0 else 0.0


def grown_box(
    box, frame_size: tuple[int, int], side: float, top: float, bottom: float
) -> tuple[int, int, int, int]:
    """A person box grown by `side` of its width on each side and `top` of its height
    above, its bottom at `bottom` of its height from its top: integer pixels of the
    frame, clipped to it (the crops the phone and hand stages look in)."""
    w, h = frame_size
    x1, y1, x2, y2 = (float(v) for v in box)
    bw, bh = x2 - x1, y2 - y1
    return (
        int(max(0.0, np.floor(x1 - side * bw))),
        int(max(0.0, np.floor(y1 - top * bh))),
        int(min(float(w), np.ceil(x2 + side * bw))),
        int(min(float(h), np.ceil(y2 if bottom == 1.0 else y1 + bottom * bh))),
    )
