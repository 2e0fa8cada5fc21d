"""Tiny generated recordings whose frames carry their own index, so a sample's timestamp
can be checked against the frame it actually holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import av
import numpy as np

TZ = ZoneInfo("Asia/Shanghai")
FPS = 10
BITS, BLOCK = 12, 20  # frame index as 12 black/white 20-px blocks along the top


def index_frame(index: int, width: int = 320, height: int = 240) -> np.ndarray:
    image = np.full((height, width, 3), 90, np.uint8)
    image[BLOCK:, :, 1] = (index * 7) % 256  # some motion for the encoder
    for bit in range(BITS):
        if index >> bit & 1:
            image[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = 255
        else:
            image[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = 0
    return image


def read_index(frame: np.ndarray) -> int:
    """Inverse of index_frame on a decoded frame of any size."""
    scale = frame.shape[1] / 320
    block = BLOCK * scale
    row = frame[int(block / 2)]
    return sum(1 << bit for bit in range(BITS) if row[int((bit + 0.5) * block)].mean() > 128)


def write_clip(
    path: Path,
    seconds: float,
    fps: int = FPS,
    gop: int = 20,
    creation_time: str | None = None,
    frame: Callable[[int], np.ndarray] = index_frame,
) -> Path:
    """H.264 MP4 with the index moved to the front (as NVRs do) so a cut file still opens;
    `frame(i)` draws the i-th frame."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", options={"movflags": "faststart"}) as out:
        if creation_time:
            out.metadata["creation_time"] = creation_time
        stream = out.add_stream(
            "libx264",
            rate=fps,
            options={
                "preset": "ultrafast",
                "crf": "23",
                "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0",
            },
        )
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(round(seconds * fps)):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame(i), format="bgr24")))
        out.mux(stream.encode())
    return path


def cut(path: Path, keep: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


# Start (seconds after 09:00:00 on DAY), length in seconds, cut to this share of its bytes
DAY = datetime(2024, 5, 6, tzinfo=TZ).date()
LAYOUT = [(0, 30, None), (40, 20, None), (55, 20, None), (75, 20, 0.5)]


def at(seconds: float) -> datetime:
    return datetime(2024, 5, 6, 9, 0, tzinfo=TZ) + timedelta(seconds=seconds)
