"""Drawing a frame's zones, boxes and caption: the bilingual labels in the CJK font
(Pillow, each label's bitmap kept) against the Hershey labels before them, in one run.

The earlier overlay is read from git (`--before`, default the commit before the change),
so both draw the same 1280×720 real frame (vtest.avi, resized) with three zones, three
person boxes and a caption whose time changes every second, 300 times each.

    PYTHONPATH=. .venv/bin/python benchmarks/overlay_labels.py [--before REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import tempfile
import time
from pathlib import Path

import cv2

from detectors.detections import Detections
from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from detectors.zones import PixelZone
from pipeline.evidence import overlay
from pipeline.footage.sampler import sample_video
from rules.checklist import load_checklist
from sample_videos.recordings import footage_dir

REPO = Path(__file__).resolve().parents[1]
ZONES = (
    ("post-1", ZonePurpose.TELLER_POST, ((0.1, 0.2), (0.5, 0.2), (0.5, 0.8), (0.1, 0.8))),
    ("desk", ZonePurpose.COUNTER_SURFACE, ((0.55, 0.5), (0.95, 0.5), (0.95, 0.9), (0.55, 0.9))),
    ("lobby", ZonePurpose.LOBBY, ((0.55, 0.05), (0.95, 0.05), (0.95, 0.45), (0.55, 0.45))),
)


def _before(rev: str):
    source = subprocess.run(
        ["git", "show", f"{rev}:pipeline/evidence/overlay.py"], cwd=REPO, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "overlay_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("overlay_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="ce909eb", help="a commit with the Hershey labels")
    args = parser.parse_args()
    frame = next(iter(sample_video(footage_dir() / "vtest.avi", 1.0, 1280))).frame
    frame = cv2.resize(frame, (1280, 720))
    zones = [PixelZone.from_normalized(z, p, poly, (1280, 720)) for z, p, poly in ZONES]
    boxes = Detections.from_arrays(
        [[300, 100, 360, 250], [700, 80, 760, 260], [900, 300, 950, 420]], [0.87, 0.8, 0.7], [0] * 3
    )
    print("| labels | median ms a frame | p90 ms |")
    print("|---|---:|---:|")
    for module, name in ((_before(args.before), "Hershey, English (before)"),
                         (overlay, "CJK font, Chinese first, bitmaps kept")):  # fmt: skip
        annotator = module.ZoneAnnotator(load_checklist(), "TELLER_ABSENT")
        times = []
        for i in range(300):
            obs = FrameObservation(None, "cam-1", {
                "post-1": ZoneObservation("post-1", ZonePurpose.TELLER_POST, 0, False),
                "desk": ZoneObservation("desk", ZonePurpose.COUNTER_SURFACE, clutter=0.23, clutter_objects=2),
                "lobby": ZoneObservation("lobby", ZonePurpose.LOBBY, persons=i % 4),
            })  # fmt: skip
            caption = f"09:12:{i % 60:02d}  cam-1  柜员离岗 / 窗口空岗 Teller post unmanned"
            t = time.perf_counter()
            annotator.draw(frame, zones, obs, boxes, caption, highlight="post-1")
            times.append(time.perf_counter() - t)
        times.sort()
        print(f"| {name} | {1000 * times[150]:.2f} | {1000 * times[270]:.2f} |")


if __name__ == "__main__":
    main()
