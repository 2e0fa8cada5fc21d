"""Frame sampling: the project's sampler against the OpenCV loop a newcomer would write.

Recordings are made from real footage (vtest.avi, played at 25 fps, scaled to 1080p and
720p) with libx264 at crf 23, a fixed keyframe interval of 50 or 250 frames, then looped
by copying packets to --minutes. They are cached outside the repository. A camera is
--files such segments in a row; every measurement runs in a fresh process so its peak
memory is its own.

    PYTHONPATH=. python benchmarks/sampling.py [--minutes 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import av

from sample_videos.recordings import encoder_options, footage_dir

REPO = Path(__file__).resolve().parents[1]
FOOTAGE = footage_dir() / "vtest.avi"
FPS, LOOP_FRAMES = 25, 750  # 30 s loop: a whole number of GOPs of 50 and of 250
TZ, DAY = ZoneInfo("Asia/Shanghai"), date(2024, 5, 6)
#: the main streams NVRs record, and D1 (PAL 704×576), the substream many keep beside them
SIZES = {"1080p": (1920, 1080), "720p": (1280, 720), "d1": (704, 576)}


def encode_loop(
    path: Path,
    size: tuple[int, int],
    gop: int,
    source: Path = FOOTAGE,
    native: bool = False,
    codec: str = "libx264",
    gops_s: Sequence[float] | None = None,
) -> None:
    """Played at 25 fps, or (native) at the clip's own speed, each frame held for its time;
    `codec`, `gops_s` (a dynamic GOP) as sample_videos.recordings.nvr_encode takes them."""
    options, keys = encoder_options(codec, FPS, gop / FPS, gops_s)
    with av.open(str(source)) as src, av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=FPS, options=options)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        per_frame = FPS / float(src.streams.video[0].average_rate) if native else 1.0
        i = 0
        for k, frame in enumerate(src.decode(video=0)):
            scaled = frame.reformat(width=size[0], height=size[1], format="yuv420p")
            while i < min((k + 1) * per_frame, LOOP_FRAMES):
                scaled.pts, scaled.time_base = i, Fraction(1, FPS)
                scaled.pict_type = 1 if keys and i in keys else 0  # forced I, or the encoder's
                out.mux(stream.encode(scaled))
                i += 1
            if i == LOOP_FRAMES:
                break
        out.mux(stream.encode())


def recording(
    cache: Path,
    name: str,
    gop: int,
    minutes: float,
    source: Path = FOOTAGE,
    native: bool = False,
    codec: str = "libx264",
    gops_s: Sequence[float] | None = None,
) -> Path:
    """A looped recording, made once: encode 30 s, then copy its packets over and over.
    `gops_s` must sum to a divisor of the 30-s loop, so the loop's joins keep its GOPs."""
    gop_name = f"gop{gop}" if not gops_s else "gop" + "-".join(f"{g:g}" for g in gops_s)
    kind = "" if codec == "libx264" else f"_{codec}"
    stem = f"{source.stem}_{name}_{gop_name}{kind}{'_native' if native else ''}"
    path = cache / f"{stem}_{minutes:g}min.mp4"
    if path.exists():
        return path
    loop = cache / f"{stem}_loop.mp4"
    if not loop.exists():
        encode_loop(loop, SIZES[name], gop, source, native, codec, gops_s)
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        for k in range(round(minutes * 60 * FPS / LOOP_FRAMES)):
            with av.open(str(loop)) as src:
                ins = src.streams.video[0]
                if k == 0:
                    outs = out.add_stream_from_template(ins)
                shift = round(LOOP_FRAMES / FPS / ins.time_base) * k
                for packet in src.demux(ins):
                    if packet.size:
                        packet.pts += shift
                        packet.dts += shift
                        packet.stream = outs
                        out.mux(packet)
    tmp.rename(path)
    return path


def camera(cache: Path, source: Path, files: int, minutes: float) -> Path:
    """A camera folder: `files` consecutive segments (links to one recording)."""
    folder = cache / f"cam_{source.stem}_x{files}"
    folder.mkdir(exist_ok=True)
    start = datetime(2024, 5, 6, 9, 0)
    for i in range(files):
        link = folder / (start + timedelta(minutes=minutes * i)).strftime("cam_%Y%m%d_%H%M%S.mp4")
        if not link.exists():
            link.symlink_to(source)
    return folder


# --- the two contenders, each run in its own process -------------------------------------


def peak_rss_mb() -> float:
    """This process's own high-water mark (ru_maxrss survives exec and would report the
    parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def count(samples) -> tuple[int, float]:
    """Consume one file's samples in its worker; report how many and the worker's peak."""
    return sum(1 for _ in samples), peak_rss_mb()


def ours(folder: Path, rate, max_side: int) -> tuple[int, float]:
    from pipeline.footage.recordings import find_segments
    from pipeline.footage.sampler import SamplingSpec
    from pipeline.footage.window import map_files

    day = find_segments(folder, "{camera}_%Y%m%d_%H%M%S.mp4", "cam", TZ, DAY)
    results, _ = map_files(count, day, SamplingSpec(rate=rate, max_side=max_side))
    return sum(n for n, _ in results), max(peak for _, peak in results)


def baseline(folder: Path, rate, max_side: int) -> tuple[int, float]:
    """What one writes first: grab() every frame, retrieve() the sampled ones, resize."""
    import cv2

    n = 0
    for path in sorted(folder.iterdir()):
        cap = cv2.VideoCapture(str(path))
        fps = cap.get(cv2.CAP_PROP_FPS)
        step = max(1, round(fps / rate))
        i = 0
        while cap.grab():
            if i % step == 0:
                ok, frame = cap.retrieve()
                h, w = frame.shape[:2]
                scale = max_side / max(h, w)
                cv2.resize(
                    frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
                )
                n += 1
            i += 1
        cap.release()
    return n, 0.0


def measure(method: str, folder: str, rate: str, max_side: int) -> dict:
    rate_value = rate if rate == "keyframes" else float(rate)
    t0 = time.perf_counter()
    n, workers_peak = globals()[method](Path(folder), rate_value, max_side)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "samples": n, "peak_rss_mb": max(peak_rss_mb(), workers_peak)}


def run_isolated(method: str, folder: Path, rate, max_side: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--measure",
        method,
        str(folder),
        str(rate),
        "--max-side",
        str(max_side),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10, help="length of each recording")
    p.add_argument("--files", type=int, default=2, help="segments per camera")
    p.add_argument("--quick", action="store_true", help="2-minute recordings, 1080p only")
    p.add_argument("--max-side", type=int, default=640, help="frame size the detector needs")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "branch-audit-bench")
    p.add_argument(
        "--measure", nargs=3, metavar=("METHOD", "FOLDER", "RATE"), help=argparse.SUPPRESS
    )
    args = p.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure, args.max_side)))
        return
    if args.quick:
        args.minutes = 2
    args.cache.mkdir(parents=True, exist_ok=True)
    footage_h = args.minutes * args.files / 60
    print(
        f"{args.files} x {args.minutes:g} min per camera, frames resized to "
        f"{args.max_side}, {len(os.sched_getaffinity(0))} cores\n"
    )
    print(
        "| recording | rate | ours s/cam-h | baseline s/cam-h | speed-up "
        "| ours peak RSS MB | baseline peak RSS MB | samples ours/baseline |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in ["1080p"] if args.quick else list(SIZES):
        for gop in (50, 250):
            source = recording(args.cache, name, gop, args.minutes)
            folder = camera(args.cache, source, args.files, args.minutes)
            rates = [0.5, 1.0] + (["keyframes"] if gop == 250 else [])
            for rate in rates:
                mine = run_isolated("ours", folder, rate, args.max_side)
                # baseline at keyframe cadence: one frame per keyframe interval
                base_rate = FPS / gop if rate == "keyframes" else rate
                base = run_isolated("baseline", folder, base_rate, args.max_side)
                print(
                    f"| {name} GOP {gop} | {rate} | {mine['wall_s'] / footage_h:.1f} "
                    f"| {base['wall_s'] / footage_h:.1f} "
                    f"| {base['wall_s'] / mine['wall_s']:.1f}x "
                    f"| {mine['peak_rss_mb']:.0f} | {base['peak_rss_mb']:.0f} "
                    f"| {mine['samples']}/{base['samples']} |",
                    flush=True,
                )
    memory_vs_length(args)


def memory_vs_length(args) -> None:
    """Peak memory of the sampler on a short and on a long recording of one camera."""
    print("\nPeak RSS of the sampler (1080p GOP 50, 1 frame/s, one file) by its length:")
    for minutes in (args.minutes / 5, args.minutes):
        source = recording(args.cache, "1080p", 50, minutes)
        folder = camera(args.cache, source, 1, minutes)
        got = run_isolated("ours", folder, 1.0, args.max_side)
        print(f"  {minutes:g} min: {got['peak_rss_mb']:.0f} MB ({got['samples']} samples)")


if __name__ == "__main__":
    main()
