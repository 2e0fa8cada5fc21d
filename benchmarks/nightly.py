"""Nightly run benchmark: one branch-day of real footage through `branch-audit run` (local
processes and Ray), against the pipeline a newcomer writes, in the same invocation.

The branch has four cameras, each a day of segment files looped from a real clip (a
person at a post, bottles on a counter, a busy lobby watched for its manager, the post
again as a second teller), every zone judged by an enabled checklist item, at
1080p (or --size 720p), 25 fps, GOP 50, cached outside the repository; a D1 (704×576)
substream copy of the branch is run with the phone stage off, against its own newcomer. Clips play at their
own speed (a 10 fps clip's frames are held for 0.1 s), so a camera-hour is an hour. Every contender
runs in a process of its own; its peak memory is the summed RSS of its process tree.

    PYTHONPATH=. python benchmarks/nightly.py [--hours 2] [--quick] [--size 1080p] [--no-d1]
        [--rows N] [--lobby-anyone] [--long-gop [MIN]] [--before TREE]

Rows: every item on (phone stage and evidence: the figure that counts), the same at the full
rate throughout (what per-zone cadences save), without the phone stage, on one worker
(what the second core buys), on Ray; then the D1 substream.

`--long-gop MIN` runs instead a table of recorders' long GOPs, MIN minutes per camera (one
file each): H.265 with a dynamic GOP (a keyframe every 4-10 s) and H.264 with one every
10 s, the lobby camera also watching a one-metre zone (COUNTER_CROWDING); per recording the
newcomer, `run` as it is (the cadence, keyframes as its coarse samples), `--full-rate` (the
findings to keep) and `--rate keyframes`, with frames decoded and findings per item; with
`--before TREE` also `run` from another tree (`git archive COMMIT | tar -x -C TREE`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.sampling import FPS, recording  # noqa: E402
from sample_videos.recordings import footage_dir  # noqa: E402

FOOTAGE = footage_dir()
DAY = date(2024, 5, 6)  # a Monday
RATE = 0.5  # the run's default sampling rate
MAX_SIDE = 640  # the run's default analysed frame size
CORES = len(os.sched_getaffinity(0))
#: the lobby manager's uniform (navy), as a site with a lobby-manager zone configures it: only
#: its wearer is searched for a phone there (detectors/observer.py); vtest's passers-by do not
#: wear it. `--lobby-anyone` leaves it out: every passer-by in the zone searched
LOBBY_UNIFORM = 'uniform: {color: "#1f2a44"}, '
POST = "[[0.37, 0.58], [0.75, 0.58], [0.75, 0.78], [0.66, 0.98], [0.43, 0.98], [0.36, 0.80]]"
# camera → (clip, its zone as site YAML)
CAMERAS = {
    "post-1": (
        "one-by-one-person-detection.mp4",
        f"{{id: post-1, purpose: teller_post, anchor: feet, polygon: {POST}}}",
    ),
    "counter": (
        "bottle-detection.mp4",
        "{id: desk, purpose: counter_surface, reference: "
        f"{REPO / 'tests/data/sites/refs/bottle-clean.jpg'}, "
        "polygon: [[0.0, 0.665], [1.0, 0.705], [1.0, 1.0], [0.0, 1.0]]}",
    ),
    "lobby": (
        "vtest.avi",
        "{id: hall, purpose: lobby_manager, "
        + LOBBY_UNIFORM
        + "polygon: [[0.0, 0.33], [1.0, 0.34], [1.0, 0.86], [0.0, 0.42]]}",
    ),
    "post-2": (
        "one-by-one-person-detection.mp4",
        f"{{id: post-2, purpose: teller_post, anchor: feet, polygon: {POST}}}",
    ),
}
#: the one-metre zone of the long-GOP branch's lobby: the paved band the manager's zone
#: covers, where 2-7 walkers are at any time (tests/data/labels/vtest.csv)
CROWD = "{id: line, purpose: one_metre_zone, polygon: [[0.0, 0.33], [1.0, 0.34], [1.0, 0.86], [0.0, 0.42]]}"
#: recorders' long GOPs: name → (encoder, keyframe spacings in seconds, in turn; each set
#: sums to the 30-s loop benchmarks/sampling.py repeats, so the joins keep the pattern)
LONG_GOPS = {
    "H.265 MP4, dynamic GOP 4-10 s": ("libx265", (6.0, 10.0, 4.0, 10.0)),
    "H.264 MP4, GOP 10 s": ("libx264", (10.0,)),
}


def build_branch(
    cache: Path,
    size: str,
    hours: float,
    segment_min: float,
    uniform: bool = True,
    codec: str = "libx264",
    gops_s: Sequence[float] | None = None,
) -> Path:
    """Site file and camera folders: `hours` of consecutive segments from 09:00; `uniform`:
    the lobby manager's zone with LOBBY_UNIFORM; `gops_s`: recorded with that dynamic GOP
    by `codec` (else GOP 50), the lobby also watching CROWD."""
    long = ("_" + codec + "-".join(f"{g:g}" for g in gops_s)) if gops_s else ""
    root = cache / f"branch_{size}_{hours:g}h_{segment_min:g}min_native{long}"
    cameras = []
    for camera, (clip, zone) in CAMERAS.items():
        source = recording(
            cache, size, 50, segment_min, FOOTAGE / clip, True, codec, gops_s
        )  # fmt: skip
        if gops_s and camera == "lobby":
            zone += "\n      - " + CROWD
        folder = root / camera
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(round(hours * 60 / segment_min)):
            start = datetime(DAY.year, DAY.month, DAY.day, 9) + timedelta(minutes=segment_min * i)
            link = folder / start.strftime(f"{camera}_%Y%m%d_%H%M%S.mp4")
            if not link.exists():
                link.symlink_to(source)
        if not uniform:
            zone = zone.replace(LOBBY_UNIFORM, "")
        cameras.append(
            f"  - id: {camera}\n    role: counter\n"
            f'    recordings: {{folder: {camera}, pattern: "{camera}_%Y%m%d_%H%M%S.mp4"}}\n'
            f"    zones:\n      - {zone}\n"
        )
    closing = datetime(2000, 1, 1, 9) + timedelta(hours=hours)
    site = root / ("site.yaml" if uniform else "site-lobby-anyone.yaml")
    site.write_text(
        "branch: {id: BENCH, name: benchmark branch, region: bench, timezone: Asia/Shanghai}\n"
        f'business_hours: {{mon-fri: ["09:00", "{closing:%H:%M}"]}}\n'
        "cameras:\n" + "".join(cameras),
        encoding="utf-8",
    )
    return site


def _tree(root: int) -> dict[int, tuple[int, int]]:
    """pid → (RSS pages, CPU ticks) of a process and all its descendants, from /proc."""
    parent, stats = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            pid = int(entry.name)
            parent[pid] = int(fields[1])
            stats[pid] = (int(fields[21]), int(fields[11]) + int(fields[12]))
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, pp in parent.items() if pp == pid and p not in tree]
        tree.update(children)
        frontier += children
    return {pid: stats[pid] for pid in tree if pid in stats}


def measured(cmd: list[str], repo: Path = REPO) -> dict:
    """Wall seconds, peak summed RSS (MB), CPU seconds of the process tree, and stdout; the
    code run is `repo`'s.

    CPU is sampled every 0.25 s per process, so a process's last moments may be missed."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, cwd=repo
    )
    peak, ticks = [0.0], {}

    def watch() -> None:
        page, hz = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
        while proc.poll() is None:
            tree = _tree(proc.pid)
            peak[0] = max(peak[0], sum(rss for rss, _ in tree.values()) * page / 2**20)
            ticks.update({pid: cpu / hz for pid, (_, cpu) in tree.items()})
            time.sleep(0.25)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    watcher.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:5])}... failed:\n{err[-2000:]}")
    return {"wall_s": wall, "peak_mb": peak[0], "cpu_s": sum(ticks.values()), "out": out}


def ours(
    site: Path,
    cache: Path,
    executor: str,
    evidence: bool,
    *extra: str,
    workers: int = 2,
    repo: Path = REPO,
) -> dict:
    db = cache / f"nightly-{executor}.db"
    db.unlink(missing_ok=True)
    shutil.rmtree(cache / f"evidence-{executor}", ignore_errors=True)
    cmd = [
        sys.executable, "-m", "cli.main", "run", "--site", str(site),
        "--date", DAY.isoformat(), "--db", f"sqlite:///{db}", "--executor", executor,
        "--workers", str(workers), "--rate", str(RATE), "--max-side", str(MAX_SIDE), "--json",
        *(["--evidence", str(cache / f"evidence-{executor}")] if evidence else ["--no-evidence"]),
        *extra,
    ]  # fmt: skip
    got = measured(cmd, repo)
    doc = json.loads(got.pop("out"))
    got["findings"] = sum(len(b["findings"]) for b in doc["branches"].values())
    got["items"] = Counter(f["item"] for b in doc["branches"].values() for f in b["findings"])
    got["decoded"] = doc.get("frames", {}).get("decoded")  # absent before it was counted
    return got | {"stages": doc["timings"]}


def newcomer(folders: list[str]) -> dict:
    """OpenCV grab() every frame, retrieve() and resize at the rate, detect every sample,
    observe; one process, files in turn. Run as a child by --newcomer."""
    import cv2

    from detectors.observer import ZoneObserver
    from detectors.registry import load_detector
    from pipeline.site import load_site, zone_specs

    site_path, *cameras = folders
    site = load_site(site_path)
    detector = load_detector("onnx")
    stages = {"decode": 0.0, "inference": 0.0, "observe": 0.0}
    for camera_id in cameras:
        camera = site.camera(camera_id)
        observer = ZoneObserver(camera.id, zone_specs(site, camera))
        folder = site.resolve(camera.recordings.folder)
        path = sorted(folder.iterdir())[0]
        cap = cv2.VideoCapture(str(path))
        step = max(1, round(cap.get(cv2.CAP_PROP_FPS) / RATE))
        i = 0
        while True:
            t0 = time.perf_counter()
            if not cap.grab():
                break
            frame = None
            if i % step == 0:
                frame = cap.retrieve()[1]
                h, w = frame.shape[:2]
                scale = MAX_SIDE / max(h, w)
                frame = cv2.resize(frame, (round(w * scale), round(h * scale)))
            t1 = time.perf_counter()
            stages["decode"] += t1 - t0
            if frame is not None:
                detections = detector.detect(frame)
                t2 = time.perf_counter()
                observer.observe(datetime.now().astimezone(), frame, detections)
                stages["inference"] += t2 - t1
                stages["observe"] += time.perf_counter() - t2
            i += 1
        cap.release()
    return {"stages": stages}


def baseline(site: Path, segment_min: float, size: str) -> float:
    """The newcomer on one segment per camera, its row printed; its rate per 2-core CPU
    hour (per camera-hour, as ours)."""
    base_h = len(CAMERAS) * segment_min / 60
    base = measured([sys.executable, __file__, "--newcomer", str(site), *CAMERAS])
    base["stages"] = json.loads(base.pop("out"))["stages"]
    name = f"{size} newcomer (OpenCV grab/retrieve, detect every sample)"
    print(row(name, base_h, base, None), flush=True)
    return base_h / (base["cpu_s"] / 3600 / CORES)


def row(name: str, camera_h: float, got: dict, base: float | None) -> str:
    """Camera-hours per wall hour as measured, and per hour of both cores' CPU (what two
    idle cores would reach if the run kept them busy): the box is shared."""
    rate = camera_h / (got["wall_s"] / 3600)
    cpu_rate = camera_h / (got["cpu_s"] / 3600 / CORES)
    stages = got["stages"]
    total = sum(stages.values()) or 1.0
    shares = " | ".join(
        f"{100 * stages.get(k, 0.0) / total:.0f} %"
        for k in ("decode", "inference", "phone", "observe", "rules", "evidence")
    )
    vs = f"{cpu_rate / base:.1f}×" if base else "1×"
    return (
        f"| {name} | {camera_h:g} | {got['wall_s']:.0f} | {rate:.0f}× | {got['cpu_s']:.0f} "
        f"| **{cpu_rate:.0f}×** | {vs} | {got['peak_mb']:.0f} | {shares} |"
    )


def long_gop(args: argparse.Namespace, evidence: bool) -> None:
    """The long-GOP table: per recording the newcomer, then `run` in its variants."""
    minutes = args.long_gop
    hours = minutes / 60
    camera_h = len(CAMERAS) * hours
    print(
        f"{len(CAMERAS)} cameras × {minutes:g} min (one file each) at {args.size}, {FPS} fps, "
        f"{RATE} samples/s, frames at {MAX_SIDE}; {CORES} cores; evidence: "
        f"{'on' if evidence else 'module absent'}; load average before: {_load()}\n"
    )
    print(
        "| recording | pipeline | wall s | CPU s | wall s per camera-h | CPU s per camera-h "
        "| vs newcomer (CPU) | frames decoded | peak RSS MB | findings per item |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    contenders: list[tuple[str, tuple[str, ...], Path]] = [
        ("`run` (cadence: keyframes where it allows)", (), REPO),
        ("`run --full-rate`", ("--full-rate",), REPO),
        ("`run --rate keyframes`", ("--rate", "keyframes"), REPO),
    ]
    if args.before:
        git = subprocess.run(
            ["git", "-C", str(args.before), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True,
        )  # fmt: skip
        commit = git.stdout.strip() if git.returncode == 0 else args.before.name
        contenders.insert(1, (f"`run` before ({commit})", (), args.before.resolve()))
    for recorded, (codec, gops) in LONG_GOPS.items():
        site = build_branch(args.cache, args.size, hours, minutes, True, codec, gops)
        base = measured([sys.executable, __file__, "--newcomer", str(site), *CAMERAS])
        base_s = base["cpu_s"] / camera_h
        name = "newcomer (OpenCV grab every frame, detect every sample)"
        print(long_row(recorded, name, camera_h, base, base_s), flush=True)
        for label, extra, repo in contenders:
            got = ours(site, args.cache, "local", evidence, *extra, repo=repo)
            print(long_row(recorded, label, camera_h, got, base_s), flush=True)
    print(f"\nload average after: {_load()}")


def long_row(recorded: str, name: str, camera_h: float, got: dict, base_s: float) -> str:
    cpu_s = got["cpu_s"] / camera_h
    items = got.get("items")
    found = "—" if items is None else ", ".join(f"{k} {v}" for k, v in sorted(items.items()))
    decoded = got.get("decoded")
    return (
        f"| {recorded} | {name} | {got['wall_s']:.0f} | {got['cpu_s']:.0f} "
        f"| {got['wall_s'] / camera_h:.0f} | **{cpu_s:.0f}** | {base_s / cpu_s:.1f}× "
        f"| {'—' if decoded is None else decoded} | {got['peak_mb']:.0f} | {found or 'none'} |"
    )


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=2.0, help="business hours per camera")
    p.add_argument("--quick", action="store_true", help="20 minutes per camera")
    p.add_argument("--size", choices=("1080p", "720p"), default="1080p")
    p.add_argument("--no-d1", action="store_true", help="without the D1 substream rows")
    p.add_argument(
        "--rows", type=int, help="only the first N rows of this branch (1: every item on)"
    )
    p.add_argument(
        "--lobby-anyone",
        action="store_true",
        help="no uniform on the lobby-manager zone: every passer-by searched for a phone",
    )
    p.add_argument(
        "--long-gop", type=float, nargs="?", const=5.0, metavar="MIN",
        help="the long-GOP table instead, MIN minutes per camera (default 5)",
    )  # fmt: skip
    p.add_argument("--before", type=Path, help="with --long-gop: also `run` from this checkout")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "branch-audit-bench")
    p.add_argument("--newcomer", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.newcomer:
        print(json.dumps(newcomer(args.newcomer)))
        return
    hours, segment_min = (1 / 3, 10.0) if args.quick else (args.hours, 10.0)
    args.cache.mkdir(parents=True, exist_ok=True)
    spec = importlib.util.find_spec("pipeline.evidence")  # in this checkout, not elsewhere
    evidence = spec is not None and Path(spec.origin).is_relative_to(REPO)
    if args.long_gop:
        long_gop(args, evidence)
        return
    site = build_branch(args.cache, args.size, hours, segment_min, not args.lobby_anyone)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(
        f"{len(CAMERAS)} cameras × {hours * 60:g} min at {args.size} GOP 50, {FPS} fps, "
        f"{RATE} samples/s, frames at {MAX_SIDE}; {CORES} cores; "
        f"load average before: {' '.join(load)}; evidence: {'on' if evidence else 'module absent'}\n"
    )
    camera_h = len(CAMERAS) * hours
    print(
        "| pipeline | camera-hours | wall s | camera-h per wall h | CPU s "
        "| camera-h per 2-core CPU h | vs newcomer | peak RSS MB "
        "| decode | inference | phone | observe | rules | evidence |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base_rate = baseline(site, segment_min, args.size)
    # every item on first: the figure that counts; then what each part of it costs or buys
    contenders = [
        ("local", (), 2),
        ("local", ("--full-rate",), 2),
        ("local", ("--no-phone-stage",), 2),
        ("local", (), 1),
        ("ray", (), 2),
    ]
    for executor, extra, workers in contenders[: args.rows]:
        got = ours(site, args.cache, executor, evidence, *extra, workers=workers)
        name = f"`run --executor {executor} --workers {workers} {' '.join(extra)}`"
        print(row(f"{name} ({got['findings']} findings)", camera_h, got, base_rate), flush=True)
    if not args.no_d1:
        d1 = build_branch(args.cache, "d1", hours, segment_min, not args.lobby_anyone)
        d1_rate = baseline(d1, segment_min, "d1")
        got = ours(d1, args.cache, "local", evidence, "--no-phone-stage")
        name = f"D1: `run --no-phone-stage` ({got['findings']} findings)"
        print(row(name, camera_h, got, d1_rate), flush=True)
    with open("/proc/loadavg") as f:
        print(f"\nload average after: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
