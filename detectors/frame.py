"""Where the phone and hand stages cut their crops: the recording's own pixels.

The detector, the zones and the motion gate work on the frame scaled to the run's analysed
size; a phone is a few dozen pixels of the recording and would be lost there. So a sample
carries, beside its analysed image, its native pixels (`NativePixels`, kept undecoded as
the decoder's planes by pipeline/footage/sampler.py) and the stages convert only the crops
they look at, never the whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class NativePixels(Protocol):
    """A frame at the recording's resolution, converted to BGR one crop at a time."""

    size: tuple[int, int]  # (width, height)

    def crop(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """BGR pixels of `box` (x1, y1, x2, y2, native pixels, inside the frame)."""
        ...


@dataclass(frozen=True)
class CropSource:
    """The analysed image, and its native pixels where it was scaled down."""

    image: np.ndarray
    native: NativePixels | None = None

    @property
    def size(self) -> tuple[int, int]:
        """The size crops are cut at: the recording's, else the image's."""
        if self.native is not None:
            return self.native.size
        return self.image.shape[1], self.image.shape[0]

    @property
    def scale(self) -> float:
        """Crop pixels per analysed pixel."""
        return self.size[0] / self.image.shape[1]

    def crop(self, box: tuple[int, int, int, int]) -> np.ndarray:
        if self.native is not None:
            return self.native.crop(box)
        x1, y1, x2, y2 = box
        return self.image[y1:y2, x1:x2]


def crop_source(frame: np.ndarray | CropSource) -> CropSource:
    """A bare image is its own native pixels (a lone picture, a test's frame)."""
    return frame if isinstance(frame, CropSource) else CropSource(frame)
