"""Phone candidates: the staff-zone crops a bank labels to train its own phone model.

The shipped phone stage sees phones in hands on real CCTV only in part (docs/accuracy.md,
"Phone use"), so the night keeps, per staff zone, the frames where it saw something
phone-like: a phone-sized box in a hand window scored under the verdict's threshold
(`candidate`, 0.1-0.3 by default) and the phones it did see (`verdict`, reviewed through
their PHONE_USE finding). Each is the upper-body crop at the recorded
resolution, customers' heads blurred as evidence is (pipeline/evidence/privacy.py), with
the phone's box and the persons' boxes in crop pixels. Best first, at most `per_zone` a
zone and kind, and no two within `spacing_s` (one moment of a day would fill the cap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np

from detectors.frame import CropSource, crop_source
from detectors.observer import FrameResult, ZoneObserver
from detectors.phone import upper_body_crop
from pipeline.evidence.privacy import blur_regions, customer_heads

#: kept per zone, kind and day (the store enforces it over the day's units)
PER_ZONE = 20
#: two kept frames of one zone are at least this far apart
SPACING_S = 10.0
#: a person box is labelled on a crop when at least this share of it lies inside
PERSON_INSIDE = 0.4
JPEG_QUALITY = 92

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class CandidateImage:
    """One kept crop, encoded, light enough to travel back from a worker."""

    camera: str
    zone: str
    kind: str  # candidate | verdict
    t: datetime
    score: float
    jpeg: bytes
    width: int
    height: int
    box: Box  # the phone, crop pixels
    persons: tuple[Box, ...]  # crop pixels


@dataclass
class _Kept:
    t: datetime
    score: float
    crop: np.ndarray
    box: Box
    persons: tuple[Box, ...]


def _crop_window(box: Box, persons: np.ndarray, size: tuple[int, int]) -> tuple[int, ...]:
    """The upper-body crop of the person the phone is at (the phone stage's own window),
    else a window six phone-lengths wide around the box."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for person in persons:
        x1, y1, x2, y2 = upper_body_crop(person, size)
        if x1 <= cx <= x2 and y1 <= cy <= y2:
            return x1, y1, x2, y2
    half = 3 * max(box[2] - box[0], box[3] - box[1], 8.0)
    w, h = size
    return (
        int(max(0, cx - half)), int(max(0, cy - half)),
        int(min(w, cx + half)), int(min(h, cy + half)),
    )  # fmt: skip


def _inside(persons: np.ndarray, window: tuple[int, ...]) -> tuple[Box, ...]:
    """Person boxes clipped to the window, in its pixels, where enough of them is in it."""
    x1, y1, x2, y2 = window
    out = []
    for px1, py1, px2, py2 in persons.astype(float):
        cx1, cy1, cx2, cy2 = max(px1, x1), max(py1, y1), min(px2, x2), min(py2, y2)
        area = max(px2 - px1, 1e-6) * max(py2 - py1, 1e-6)
        if cx2 > cx1 and cy2 > cy1 and (cx2 - cx1) * (cy2 - cy1) >= PERSON_INSIDE * area:
            out.append((cx1 - x1, cy1 - y1, cx2 - x1, cy2 - y1))
    return tuple(tuple(round(v, 1) for v in b) for b in out)


class CandidateCollector:
    """Offered every analysed frame of one camera's unit; keeps the best crops."""

    def __init__(self, camera: str, per_zone: int = PER_ZONE, spacing_s: float = SPACING_S) -> None:
        self.camera, self.per_zone, self.spacing_s = camera, per_zone, spacing_s
        self._kept: dict[tuple[str, str], list[_Kept]] = {}

    def offer(
        self,
        t: datetime,
        frame: np.ndarray | CropSource,
        result: FrameResult,
        observer: ZoneObserver,
    ) -> None:
        """`frame`: the analysed frame (boxes are in its pixels) with the recording's own
        pixels, where the crops are cut (detectors/frame.py)."""
        if not result.detected:  # the gate reused the last verdicts: nothing new seen
            return
        frame = crop_source(frame)
        for zone, verdict in result.phone.items():
            if verdict.box is None:
                continue
            kind = "verdict" if verdict.phone else "candidate"
            kept = self._kept.setdefault((zone, kind), [])
            near = [k for k in kept if abs((k.t - t).total_seconds()) < self.spacing_s]
            if near and max(k.score for k in near) >= verdict.score:
                continue
            worst = min(kept, key=lambda k: k.score, default=None)
            if not near and len(kept) >= self.per_zone and worst.score >= verdict.score:
                continue
            for k in near or ([worst] if len(kept) >= self.per_zone else []):
                kept.remove(k)
            kept.append(self._cut(t, frame, result, observer, verdict.box, verdict.score))

    def _cut(self, t, frame: CropSource, result, observer, box: Box, score: float) -> _Kept:
        scale, size = frame.scale, frame.size
        analysed = (frame.image.shape[1], frame.image.shape[0])
        persons = result.detections.in_group("person")
        people = persons.with_min_confidence(observer.settings.person_conf).xyxy * scale
        box = tuple(v * scale for v in box)
        window = _crop_window(box, people, size)
        x1, y1, x2, y2 = window
        heads = customer_heads(result.detections, observer.pixel_zones(analysed), analysed)
        shifted = [
            (max(round(a * scale) - x1, 0), max(round(b * scale) - y1, 0),
             min(round(c * scale) - x1, x2 - x1), min(round(d * scale) - y1, y2 - y1))
            for a, b, c, d in heads
        ]  # fmt: skip
        crop = blur_regions(frame.crop(window), [r for r in shifted if r[2] > r[0] and r[3] > r[1]])
        local = (box[0] - x1, box[1] - y1, box[2] - x1, box[3] - y1)
        return _Kept(
            t, score, crop, tuple(round(float(v), 1) for v in local), _inside(people, window)
        )

    def images(self) -> tuple[CandidateImage, ...]:
        out = []
        for (zone, kind), kept in sorted(self._kept.items()):
            for k in sorted(kept, key=lambda k: -k.score):
                ok, jpeg = cv2.imencode(".jpg", k.crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                if not ok:
                    continue
                h, w = k.crop.shape[:2]
                out.append(
                    CandidateImage(
                        self.camera,
                        zone,
                        kind,
                        k.t,
                        round(k.score, 4),
                        jpeg.tobytes(),
                        w,
                        h,
                        k.box,
                        k.persons,
                    )  # fmt: skip
                )
        return tuple(out)
