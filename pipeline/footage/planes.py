"""A decoded frame's pixels at the recording's resolution, converted one crop at a time.

The phone and hand stages look at a few person-sized crops of each sample; the rest of the
analysis works on the frame scaled down (pipeline/footage/sampler.py). Converting the
whole 1080p frame to BGR only to cut those crops costs more than the crops: so the
decoder's YUV 4:2:0 planes are kept as they are (one copy) and each crop is converted on
its own (detectors/frame.py, `NativePixels`).
"""

from __future__ import annotations

import av
import cv2
import numpy as np


class PlanarPixels:
    """`NativePixels` of one decoded frame: its I420 planes, or (another pixel format, an
    odd size) its BGR conversion."""

    def __init__(self, frame: av.VideoFrame) -> None:
        self.size = (frame.width, frame.height)
        w, h = self.size
        self._planes: np.ndarray | None = None
        self._bgr: np.ndarray | None = None
        if frame.format.name == "yuv420p" and w % 2 == 0 and h % 4 == 0:
            self._planes = frame.to_ndarray()  # (h * 3/2, w): Y, then U and V packed
        else:
            self._bgr = frame.to_ndarray(format="bgr24")

    def crop(self, box: tuple[int, int, int, int]) -> np.ndarray:
        x1, y1, x2, y2 = box
        if self._bgr is not None:
            return self._bgr[y1:y2, x1:x2]
        w, h = self.size
        # chroma is subsampled 2×2: convert the even-aligned box around it, then cut
        ex1, ey1 = x1 & ~1, y1 & ~1
        ex2, ey2 = min(w, x2 + (x2 & 1)), min(h, y2 + (y2 & 1))
        if ex2 <= ex1 or ey2 <= ey1:
            return np.zeros((max(y2 - y1, 0), max(x2 - x1, 0), 3), np.uint8)
        p = self._planes
        u = p[h : h + h // 4].reshape(h // 2, w // 2)
        v = p[h + h // 4 :].reshape(h // 2, w // 2)
        cy, cx = slice(ey1 // 2, ey2 // 2), slice(ex1 // 2, ex2 // 2)
        i420 = np.concatenate(
            [p[ey1:ey2, ex1:ex2].ravel(), u[cy, cx].ravel(), v[cy, cx].ravel()]
        ).reshape((ey2 - ey1) * 3 // 2, ex2 - ex1)
        bgr = cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420)
        return bgr[y1 - ey1 : y2 - ey1, x1 - ex1 : x2 - ex1]
