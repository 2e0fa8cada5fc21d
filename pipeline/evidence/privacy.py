"""Customers' heads blurred in exported evidence; staff, whose conduct is judged, stay sharp.

This is a head-region blur derived from person boxes, not a face detector: the top of
each person box (where a standing or seated person's head is), widened a little, is
smoothed beyond recognition. Its limits:

- a person the detector misses (occluded, tiny, unusual pose, below its confidence) is
  not blurred, nor is a face seen in a reflection, on a screen or on an ID card;
- a head outside the top of its box (bending down, lying, a loose box) may be missed in
  part; a box cut by the frame's bottom edge has its upper half blurred, as the share of
  the person it holds is unknown;
- "staff" means anchored in a staff zone (teller post, lobby manager), so a customer
  standing in the lobby manager's zone stays sharp, and a staff member walking the
  lobby is blurred.
"""

from __future__ import annotations

import cv2
import numpy as np

from detectors.detections import Detections
from detectors.observer import STAFF_PURPOSES
from detectors.zones import PixelZone

HEAD_SHARE = 0.22  # of the box height, from its top
#: a box cut by the frame's bottom edge holds only the top of a person, and how much of
#: them is unknown (from a raised camera, someone walking in under it shows head and
#: shoulders): its head can lie anywhere in its upper half
CUT_HEAD_SHARE = 0.5
WIDEN = 0.1  # of the box width, on each side: arms drawn in, hair sticking out
ABOVE = 0.03  # of the box height: boxes often clip the top of the head
_CELLS = 4  # the head is averaged down to this many cells across before smoothing


def blur_customers(frame: np.ndarray, detections: Detections, zones: list[PixelZone]) -> np.ndarray:
    """A copy of `frame` with the heads of persons outside staff zones blurred."""
    h, w = frame.shape[:2]
    return blur_regions(frame, customer_heads(detections, zones, (w, h)))


def customer_heads(
    detections: Detections, zones: list[PixelZone], frame_size: tuple[int, int]
) -> list[tuple[int, int, int, int]]:
    """Head regions (x1, y1, x2, y2, pixels, clipped to the frame) of every person not
    anchored in a staff zone. Every person box counts, whatever its confidence: a false
    positive costs a blurred patch, a missed customer a visible face."""
    persons = detections.in_group("person")
    staff = np.zeros(len(persons), bool)
    for zone in zones:
        if zone.purpose in STAFF_PURPOSES:
            staff |= zone.trigger(persons)
    w, h = frame_size
    heads = []
    for box in persons[~staff].xyxy:
        x1, y1, x2, y2 = (float(v) for v in box)
        bw, bh = x2 - x1, y2 - y1
        share = CUT_HEAD_SHARE if y2 >= h - 1 else HEAD_SHARE
        region = (
            max(int(x1 - WIDEN * bw), 0),
            max(int(y1 - ABOVE * bh), 0),
            min(int(np.ceil(x2 + WIDEN * bw)), w),
            min(int(np.ceil(y1 + share * bh)), h),
        )
        if region[2] > region[0] and region[3] > region[1]:
            heads.append(region)
    return heads


def blur_regions(frame: np.ndarray, regions: list[tuple[int, int, int, int]]) -> np.ndarray:
    """A copy of `frame` with each region averaged into a few cells, then smoothed: no
    feature smaller than a quarter of the head survives, and no blocky mosaic is left."""
    out = frame.copy()
    for x1, y1, x2, y2 in regions:
        patch = out[y1:y2, x1:x2]
        ph, pw = patch.shape[:2]
        cells = (max(1, min(_CELLS, pw)), max(1, min(round(_CELLS * ph / pw), ph)))
        small = cv2.resize(patch, cells, interpolation=cv2.INTER_AREA)
        out[y1:y2, x1:x2] = cv2.resize(small, (pw, ph), interpolation=cv2.INTER_LINEAR)
    return out
