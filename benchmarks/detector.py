"""Detector speed: the shipped NanoDet-m (onnxruntime, 1 and 2 threads) against the
ultralytics backend (yolo11n at 640, untrained: the same compute as trained weights), on the
same real frames in the same run.

    .venv/bin/python benchmarks/detector.py [--frames 30] [--footage ../shared/footage]

Prints ms per frame (median, p90), frames per second and the process's peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import av
import numpy as np

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.registry import load_detector  # noqa: E402


def real_frames(footage: Path, count: int) -> list[np.ndarray]:
    """Evenly spread frames of the two people clips (only those are kept in memory)."""
    frames: list[np.ndarray] = []
    per_clip = count // 2
    for name in ("vtest.avi", "one-by-one-person-detection.mp4"):
        with av.open(str(footage / name)) as container:
            stream = container.streams.video[0]
            step = max(stream.frames // per_clip, 1)
            picked = (
                f.to_ndarray(format="bgr24")
                for i, f in enumerate(container.decode(stream))
                if i % step == 0
            )
            frames += [f for _, f in zip(range(per_clip), picked, strict=False)]
    return frames


def time_detector(detector, frames: list[np.ndarray], warmup: int = 3) -> list[float]:
    for frame in frames[:warmup]:
        detector.detect(frame)
    times = []
    for frame in frames:
        start = time.perf_counter()
        detector.detect(frame)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument(
        "--footage", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "footage"
    )
    args = parser.parse_args()
    frames = real_frames(args.footage, args.frames)
    runs = [
        ("nanodet-m 416 onnx, 1 thread", lambda: load_detector("onnx", threads=1)),
        ("nanodet-m 416 onnx, 2 threads", lambda: load_detector("onnx", threads=2)),
        ("yolo11n 640 ultralytics (torch CPU)", lambda: load_detector("yolo", "yolo11n.yaml")),
    ]
    print(f"{len(frames)} real frames (768x576 and 768x432), {os.cpu_count()} CPUs")
    print(f"{'detector':40} {'median ms':>10} {'p90 ms':>8} {'frames/s':>9}")
    medians = {}
    for label, build in runs:
        try:
            detector = build()
        except Exception as exc:  # the yolo extra may be absent
            print(f"{label:40} skipped: {exc}")
            continue
        times = time_detector(detector, frames)
        med = statistics.median(times)
        p90 = float(np.percentile(times, 90))
        medians[label] = med
        print(f"{label:40} {med:10.1f} {p90:8.1f} {1000 / med:9.1f}")
    base = medians.get("yolo11n 640 ultralytics (torch CPU)")
    for label, med in medians.items():
        if base and label != "yolo11n 640 ultralytics (torch CPU)":
            print(f"speed-up of {label} over yolo11n 640: {base / med:.2f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
