"""A clip of a moment, as the review server draws one on request (api/moment_clips.py):
where its seconds go, on a real recording.

Draws the 12 s clip around a moment of two real clips (a lobby with people walking
throughout, a mostly still post) with the shipped NanoDet detector, `--runs` times each
into fresh folders, with every frame detected (as before) and with the whole-frame motion
gate (write_moment's default), interleaved; splits the wall time into decoding (the
sampler's frames), detection, drawing (blur, zones, labels) and encoding, by timing each
call of those steps.

    PYTHONPATH=. .venv/bin/python benchmarks/moments.py [--runs 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from detectors.analyzer import CameraAnalyzer
from detectors.observations import ZonePurpose
from detectors.observer import ZoneSpec
from detectors.registry import load_detector
from pipeline.evidence import clips
from pipeline.evidence.clips import EvidenceRequest, write_moment
from pipeline.evidence.overlay import ZoneAnnotator
from pipeline.evidence.video_writer import H264Writer
from pipeline.footage.recordings import probe
from sample_videos.recordings import footage_dir

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
ZONES = (
    ZoneSpec("post-1", ZonePurpose.TELLER_POST, ((0.05, 0.3), (0.45, 0.3), (0.45, 0.95), (0.05, 0.95))),
    ZoneSpec("lobby", ZonePurpose.LOBBY, ((0.5, 0.2), (0.98, 0.2), (0.98, 0.98), (0.5, 0.98))),
)  # fmt: skip
SPENT: dict[str, float] = defaultdict(float)


def _timed(name: str, fn: Callable) -> Callable:
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[name] += time.perf_counter() - t

    return wrapper


def _timed_frames(fn: Callable) -> Callable:
    """The sampler as a generator: the time to each next frame is decoding."""

    def wrapper(*args, **kwargs):
        frames = fn(*args, **kwargs)
        while True:
            t = time.perf_counter()
            try:
                frame = next(frames)
            except StopIteration:
                SPENT["decode"] += time.perf_counter() - t
                return
            SPENT["decode"] += time.perf_counter() - t
            yield frame

    return wrapper


CLIPS = (("vtest.avi", "a lobby, people walking throughout"),
         ("one-by-one-person-detection.mp4", "a post, mostly still"))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--at", type=float, default=40.0, help="seconds into each clip")
    args = parser.parse_args()
    detector = load_detector()
    clips.sample_window = _timed_frames(clips.sample_window)
    CameraAnalyzer.analyze = _timed("detect + observe", CameraAnalyzer.analyze)
    ZoneAnnotator.draw = _timed("draw (zones, labels)", ZoneAnnotator.draw)
    clips.blur_customers = _timed("draw (blur)", clips.blur_customers)
    H264Writer.write = _timed("encode", H264Writer.write)
    H264Writer.__exit__ = _timed("encode", H264Writer.__exit__)
    at = START + timedelta(seconds=args.at)
    print("| clip | detector | median s | min–max s | decode | detect | draw | encode | vs ungated |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, what in CLIPS:
        segment = probe(footage_dir() / name, START, TZ)
        req = EvidenceRequest("bench", "TELLER_ABSENT", "cam-1", "post-1", at, at, at, (segment,), ZONES)
        write_moment(req, detector, Path(tempfile.mkdtemp()))  # warm: models, font, codec
        results: dict[bool, tuple[list[float], list[dict]]] = {False: ([], []), True: ([], [])}
        for _ in range(args.runs):
            for gate in (False, True):  # interleaved: the machine's load falls on both
                SPENT.clear()
                with tempfile.TemporaryDirectory() as root:
                    t = time.perf_counter()
                    write_moment(req, detector, Path(root), gate=gate)
                    results[gate][0].append(time.perf_counter() - t)
                results[gate][1].append(dict(SPENT))
        base = statistics.median(results[False][0])
        for gate, (walls, parts) in results.items():
            wall = statistics.median(walls)
            step = {k: statistics.median(p.get(k, 0.0) for p in parts) for k in parts[0]}
            drawing = step["draw (zones, labels)"] + step["draw (blur)"]
            print(
                f"| {name} ({what}) | {'gated, whole frame' if gate else 'every frame (before)'} "
                f"| {wall:.2f} | {min(walls):.2f}–{max(walls):.2f} | {step['decode']:.2f} "
                f"| {step['detect + observe']:.2f} | {drawing:.2f} | {step['encode']:.2f} "
                f"| {base / wall:.1f}× |"
            )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
