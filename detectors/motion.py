"""Motion gating: skip the detector when nothing in the watched zones changed.

A branch at 3 p.m. is mostly still: the teller sits, the counter stays as it was. Comparing
a small blurred copy of the frame with the last frame the detector saw costs well under a
millisecond, against tens for the detector.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: frames are compared at this width; enough to see a person arrive, cheap to blur
GATE_WIDTH = 160


@dataclass
class MotionGate:
    #: a pixel changed when its grey level moved more than this
    pixel_delta: float = 18.0
    #: the watched area changed when more than this share of its pixels did
    changed_share: float = 0.004
    #: run the detector at least every this many samples, whatever the gate says
    max_reuse: int = 15
    #: compare the whole frame, not only the zones (`watch` is ignored): for evidence,
    #: whose blur must follow every customer wherever they walk
    #: (pipeline/evidence/clips.write_moment)
    whole_frame: bool = False

    def __post_init__(self) -> None:
        self._reference: np.ndarray | None = None
        self._watch: np.ndarray | None = None
        self._reused = 0

    def watch(self, masks: list[np.ndarray]) -> None:
        """Restrict the comparison to these full-size masks (the zones), with a margin."""
        if not masks or self.whole_frame:
            self._watch = None
            return
        union = np.maximum.reduce([m.astype(np.uint8) for m in masks])
        small = _shrink(union * 255) > 0
        margin = max(small.shape[1] // 20, 1)
        self._watch = cv2.dilate(small.astype(np.uint8), np.ones((margin, margin), np.uint8)) > 0
        self._reference = None

    def needs_detection(self, frame: np.ndarray) -> bool:
        """True when the detector must run on this frame (and remembers it as the reference)."""
        small = cv2.GaussianBlur(_shrink(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)), (5, 5), 0)
        small = small.astype(np.int16)
        if self._reference is not None and self._reused < self.max_reuse:
            diff = np.abs(small - self._reference) > self.pixel_delta
            watched = diff if self._watch is None else diff[self._watch]
            if watched.size and watched.mean() <= self.changed_share:
                self._reused += 1
                return False
        self._reference = small
        self._reused = 0
        return True


def _shrink(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.resize(
        image, (GATE_WIDTH, max(1, round(h * GATE_WIDTH / w))), interpolation=cv2.INTER_AREA
    )
