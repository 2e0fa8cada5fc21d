"""Browser-playable H.264 MP4 (yuv420p, faststart) from BGR frames, through PyAV's libx264."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np


class H264Writer:
    """Writes frames of one size; odd widths or heights lose their last pixel (yuv420p)."""

    def __init__(self, path: str | Path, fps: float, crf: int = 26) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._container = av.open(str(self.path), "w", options={"movflags": "+faststart"})
        self._stream = self._container.add_stream(
            "libx264", rate=Fraction(fps).limit_denominator(1001)
        )
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": "veryfast"}
        self._size: tuple[int, int] | None = None
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if self._size is None:
            self._size = (w - w % 2, h - h % 2)
            self._stream.width, self._stream.height = self._size
        ew, eh = self._size
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:eh, :ew]), "bgr24")
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._size is not None:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
