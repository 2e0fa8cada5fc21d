"""Detector speed: the shipped NanoDet-m models (fp32 416 and its INT8 quantization,
onnxruntime, 1 and 2 threads; any NanoDet-layout .onnx given with --candidates, e.g. a 320
export from tools/quantize_nanodet.py) against the ultralytics backend (yolo11n at 640,
untrained: the same compute as trained weights), on the same real frames in the same run.

    .venv/bin/python benchmarks/detector.py [--frames 30] [--footage ../shared/footage] \
        [--candidates /tmp/nanodet-m-320.onnx] [--repeat 3] [--hd] [--no-yolo]

Prints ms per frame (median, p90; wall and this process's CPU), frames per second, the
ratio to fp32 416 at the same thread count, and the process's peak memory. With --repeat,
every detector is timed that many times, the rounds interleaved so that the machine's load
falls on all alike, and the median of the rounds' medians is printed.
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
import cv2
import numpy as np

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.registry import load_detector  # noqa: E402

YOLO = "yolo11n 640 ultralytics (torch CPU)"


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


def time_detector(
    detector, frames: list[np.ndarray], warmup: int = 3
) -> tuple[list[float], list[float]]:
    """Wall and CPU (this process, all threads) milliseconds per frame."""
    for frame in frames[:warmup]:
        detector.detect(frame)
    wall, cpu = [], []
    for frame in frames:
        start, start_cpu = time.perf_counter(), time.process_time()
        detector.detect(frame)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument(
        "--footage", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "footage"
    )
    parser.add_argument("--candidates", nargs="*", type=Path, default=[])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-yolo", action="store_true")
    parser.add_argument("--hd", action="store_true", help="frames scaled to 1920x1080 first")
    args = parser.parse_args()
    frames = real_frames(args.footage, args.frames)
    if args.hd:  # as the nightly recordings are made: the clips scaled to 1080p
        frames = [cv2.resize(f, (1920, 1080), interpolation=cv2.INTER_LINEAR) for f in frames]
    runs = {}
    for threads in (1, 2):
        s = "thread" if threads == 1 else "threads"
        runs[f"nanodet-m 416 onnx, {threads} {s}"] = lambda t=threads: load_detector(
            "onnx", threads=t
        )
        runs[f"nanodet-m 416 int8 onnx, {threads} {s}"] = lambda t=threads: load_detector(
            "onnx", threads=t, model="nanodet-int8"
        )
        for path in args.candidates:
            runs[f"{path.stem}, {threads} {s}"] = lambda t=threads, p=path: load_detector(
                "onnx", p, threads=t
            )
    if not args.no_yolo:
        runs[YOLO] = lambda: load_detector("yolo", "yolo11n.yaml")
    sizes = "1920x1080, scaled from 768x576 and 768x432" if args.hd else "768x576 and 768x432"
    print(f"{len(frames)} real frames ({sizes}), {os.cpu_count()} CPUs")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    detectors = {}
    for label, build in runs.items():
        try:
            detectors[label] = build()
        except Exception as exc:  # the yolo extra may be absent
            print(f"{label:40} skipped: {exc}")
    rounds: dict[str, list[tuple[float, float, float]]] = {k: [] for k in detectors}
    for _ in range(args.repeat):
        for label, detector in detectors.items():
            wall, cpu = time_detector(detector, frames)
            rounds[label].append(
                (statistics.median(wall), float(np.percentile(wall, 90)), statistics.median(cpu))
            )
    print(
        "| detector | median ms | p90 ms | CPU ms | frames/s | vs fp32 416 (wall) "
        "| vs fp32 416 (CPU) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    medians = {
        label: tuple(statistics.median(r[i] for r in got) for i in range(3))
        for label, got in rounds.items()
    }
    for label, (med, p90, cpu) in medians.items():
        threads = label.rsplit(", ", 1)[-1]
        base = medians.get(f"nanodet-m 416 onnx, {threads}")
        vs = f"{base[0] / med:.2f}x | {base[2] / cpu:.2f}x" if base and label != YOLO else "– | –"
        print(f"| {label} | {med:.1f} | {p90:.1f} | {cpu:.1f} | {1000 / med:.1f} | {vs} |")
    yolo = medians.get(YOLO)
    for label, (med, _, _) in medians.items():
        if yolo and label != YOLO:
            print(f"speed-up of {label} over yolo11n 640: {yolo[0] / med:.2f}x")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
