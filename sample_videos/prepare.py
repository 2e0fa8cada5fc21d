"""Put the demo branch's recordings in place: one business day (09:00–09:30) of three
cameras, as segment files named by their start time, made from the real clips.

    python sample_videos/prepare.py [--footage ../shared/footage] [--date 2026-11-20]

The clips are copied from `../shared/footage` when it exists, otherwise downloaded from
their public sources, and refused unless their SHA-256 matches (FOOTAGE.md has the
sources and licences). Nothing here is committed: the recordings land in
`sample_videos/recordings/` (git-ignored). The day has what real days have: a hole
between two segments (the NVR restarted), a file cut short (a power loss), and a stretch
in which the teller is away.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sample_videos.recordings import fetch, footage_dir, loop, nvr_encode, truncate  # noqa: E402

DEMO_DATE = date(2026, 11, 20)  # a Friday


def _segment(folder: Path, camera: str, day: date, hhmm: str) -> Path:
    start = datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time())
    return folder / camera / start.strftime(f"{camera}_%Y%m%d_%H%M%S.mp4")


def prepare(footage: Path | None, day: date, out: Path) -> dict[str, list[Path]]:
    clips = out / "clips"
    post = fetch("one-by-one-person-detection.mp4", clips, footage)
    bottles = fetch("bottle-detection.mp4", clips, footage)
    campus = fetch("vtest.avi", clips, footage)
    work = out / "encoded"

    def encoded(name: str, src: Path, fps: int, seconds=None) -> Path:
        """Re-encoded once as an NVR writes: constant rate, a keyframe every 2 s."""
        path = work / name
        return path if path.exists() else nvr_encode(src, path, fps=fps, seconds=seconds)

    post_nvr = encoded("post.mp4", post, 10)
    away = encoded("post-away.mp4", post, 10, (0.0, 4.0))  # the clip's empty room: teller away
    counter = encoded("counter.mp4", bottles, 15)
    lobby = encoded("lobby.mp4", campus, 10)

    rec = out / "recordings"
    m = 60.0
    layout = {
        # teller post: manned, away for 6 minutes from 09:07, manned again
        "post-1": [("09:00", post_nvr, 7 * m), ("09:07", away, 6 * m), ("09:13", post_nvr, 17 * m)],
        # counter: bottles all morning; no file 09:16-09:18 (NVR restart); the last file cut
        "counter-1": [("09:00", counter, 8 * m), ("09:08", counter, 8 * m),
                      ("09:18", counter, 6 * m), ("09:24", counter, 6 * m)],
        # lobby: three 10-minute segments
        "lobby-1": [("09:00", lobby, 10 * m), ("09:10", lobby, 10 * m), ("09:20", lobby, 10 * m)],
    }  # fmt: skip
    made: dict[str, list[Path]] = {}
    for camera, segments in layout.items():
        for old in (rec / camera).glob("*.mp4") if (rec / camera).is_dir() else ():
            old.unlink()
        for hhmm, source, seconds in segments:
            made.setdefault(camera, []).append(
                loop(source, _segment(rec, camera, day, hhmm), seconds)
            )
    truncate(made["counter-1"][-1], 0.6)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--footage", type=Path, default=footage_dir(),
                        help="folder with the real clips (default: ../shared/footage when it "
                        "holds them, else sample_videos/clips)")  # fmt: skip
    parser.add_argument("--date", type=date.fromisoformat, default=DEMO_DATE)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    footage = args.footage if args.footage.is_dir() else None
    made = prepare(footage, args.date, args.out)
    for camera, files in made.items():
        print(f"{camera}: {len(files)} segment(s) in {files[0].parent}")
    end = datetime.combine(args.date, datetime.min.time()) + timedelta(hours=9, minutes=30)
    print(f"demo day {args.date} 09:00-{end:%H:%M} (Asia/Shanghai) ready")


if __name__ == "__main__":
    main()
