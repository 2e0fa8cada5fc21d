"""Keyframe decoding flags: the sampler's settings against FFmpeg's cheaper decoding options,
on 1080p GOP-50 H.264 recordings made from the real clips (as benchmarks/nightly.py makes
them), in the same run — and whether the detector sees the same persons on those frames.

    PYTHONPATH=. .venv/bin/python benchmarks/decode_flags.py [--minutes 2] [--repeat 3]

The sampler (pipeline/footage/sampler.py) decodes only the keyframes when the keyframe
cadence is within the sampling interval (GOP 50 at 25 fps: every 2 s, the default rate):
slice threads, FFmpeg's thread count, no skipping. Each variant decodes the same keyframe
packets and converts each frame to BGR as the sampler does; CPU seconds (this process,
`time.process_time`: every decoder thread counted) and wall seconds, median of --repeat
runs, variants interleaved so the machine's load falls on all of them alike.

Then the detector (the shipped NanoDet-m) runs on each keyframe decoded both ways: person
boxes matched at IoU 0.5, and the largest confidence change, per variant.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.sampling import recording  # noqa: E402
from detectors.registry import load_detector  # noqa: E402
from sample_videos.recordings import footage_dir  # noqa: E402

CLIPS = ("one-by-one-person-detection.mp4", "bottle-detection.mp4", "vtest.avi")
#: name → (thread_type, thread_count, AVOptions of the decoder); the first is the sampler's
VARIANTS = {
    "sampler (slice threads, auto count)": ("SLICE", 0, {}),
    "no threads": ("SLICE", 1, {}),
    "frame threads, auto count": ("FRAME", 0, {}),
    "skip_loop_filter=all": ("SLICE", 0, {"skip_loop_filter": "all"}),
    "skip_loop_filter=all, no threads": ("SLICE", 1, {"skip_loop_filter": "all"}),
    "flags2=fast": ("SLICE", 0, {"flags2": "+fast"}),
}
BASELINE = next(iter(VARIANTS))


def keyframes(path: Path, variant: str, max_side: int | None):
    """BGR keyframes of one file, decoded with a variant's settings (packets fed as the
    sampler feeds them in keyframes-only mode: the keyframe of each GOP, then a flush)."""
    thread_type, count, options = VARIANTS[variant]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        ctx.thread_type, ctx.thread_count = thread_type, count
        if options:
            ctx.options = dict(options)
        size = None
        for packet in container.demux(stream):
            if packet.size and packet.is_keyframe:
                for frame in ctx.decode(packet):
                    if size is None:
                        scale = min(1.0, (max_side or 10**9) / max(frame.width, frame.height))
                        size = (round(frame.width * scale), round(frame.height * scale))
                    yield frame.pts, frame.to_ndarray(format="bgr24", width=size[0], height=size[1])
        for frame in ctx.decode(None):
            yield frame.pts, frame.to_ndarray(format="bgr24", width=size[0], height=size[1])


def timed(files: list[Path], variant: str, max_side: int | None) -> tuple[float, float, int]:
    cpu, wall = time.process_time(), time.perf_counter()
    n = sum(1 for f in files for _ in keyframes(f, variant, max_side))
    return time.process_time() - cpu, time.perf_counter() - wall, n


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1, y1 = np.maximum(a[:, None, 0], b[None, :, 0]), np.maximum(a[:, None, 1], b[None, :, 1])
    x2, y2 = np.minimum(a[:, None, 2], b[None, :, 2]), np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-9)


def person_changes(files: list[Path], variant: str, detector, max_side: int | None) -> dict:
    """Persons (≥ the detector's threshold) on each keyframe, baseline against variant."""
    frames = persons = unmatched = 0
    worst = 0.0
    for path in files:
        pairs = zip(
            keyframes(path, BASELINE, max_side), keyframes(path, variant, max_side), strict=True
        )
        for (pts_a, a), (pts_b, b) in pairs:
            assert pts_a == pts_b, (path, pts_a, pts_b)
            da, db = detector.detect(a).in_group("person"), detector.detect(b).in_group("person")
            frames += 1
            persons += len(da)
            if len(da) and len(db):
                iou = _iou(da.xyxy, db.xyxy)
                best = iou.argmax(1)
                matched = iou[np.arange(len(da)), best] >= 0.5
                unmatched += int((~matched).sum()) + max(len(db) - int(matched.sum()), 0)
                if matched.any():
                    d = np.abs(da.confidence[matched] - db.confidence[best[matched]])
                    worst = max(worst, float(d.max()))
            else:
                unmatched += len(da) + len(db)
    return {"frames": frames, "persons": persons, "unmatched": unmatched, "max_dconf": worst}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=2, help="length of each recording")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--max-side", type=int, default=0, help="frame size out of the decoder (0: native)"
    )
    ap.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "branch-audit-bench"
    )
    ap.add_argument("--no-detector", action="store_true", help="timings only")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    max_side = args.max_side or None
    files = [
        recording(args.cache, "1080p", 50, args.minutes, footage_dir() / c, native=True)
        for c in CLIPS
    ]
    footage_min = args.minutes * len(files)
    print(
        f"{len(files)} recordings x {args.minutes:g} min, 1080p GOP 50 (25 fps), keyframes only, "
        f"frames out at {max_side or 'native size'}; {len(os.sched_getaffinity(0))} cores, "
        f"load average at start {os.getloadavg()[0]:.2f}, median of {args.repeat}\n"
    )
    runs: dict[str, list[tuple[float, float, int]]] = {v: [] for v in VARIANTS}
    for _ in range(args.repeat):
        for variant in VARIANTS:
            runs[variant].append(timed(files, variant, max_side))
    base_cpu = statistics.median(r[0] for r in runs[BASELINE])
    base_wall = statistics.median(r[1] for r in runs[BASELINE])
    print(
        "| variant | keyframes | CPU s | CPU vs sampler | wall s | wall vs sampler | CPU s per camera-hour |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for variant, got in runs.items():
        cpu = statistics.median(r[0] for r in got)
        wall = statistics.median(r[1] for r in got)
        print(
            f"| {variant} | {got[0][2]} | {cpu:.2f} | {cpu / base_cpu:.2f} | {wall:.2f} "
            f"| {wall / base_wall:.2f} | {cpu * 60 / footage_min:.1f} |",
            flush=True,
        )
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    if args.no_detector:
        return
    detector = load_detector("onnx", threads=2)
    print(
        "\n| variant | keyframes | persons (sampler) | unmatched persons | largest confidence change |"
    )
    print("|---|---:|---:|---:|---:|")
    for variant in list(VARIANTS)[1:]:
        c = person_changes(files, variant, detector, max_side)
        print(
            f"| {variant} | {c['frames']} | {c['persons']} | {c['unmatched']} "
            f"| {c['max_dconf']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
