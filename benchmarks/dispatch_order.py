"""Dispatch order: a night whose longest unit comes last in plan order, on two local
workers, with its units handed over longest first (the night's order, pipeline/batch/
night.py) against plan order (the order before), in the same invocation.

One camera of 720p recordings looped from a real clip: `--short` files of half a minute,
then one of `--long` minutes, the last in plan order. In plan order two workers share the
short files and one is left running the long one alone at the end; longest first, one
worker starts the long file while the other does the short ones.

    PYTHONPATH=. python benchmarks/dispatch_order.py [--short 3] [--long 2] [--repeat 1]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.sampling import DAY, TZ, recording
from pipeline.batch.executors import LocalExecutor
from pipeline.batch.night import Night, plan_night
from pipeline.batch.units import DetectorSpec, UnitSettings
from pipeline.footage.sampler import SamplingSpec
from pipeline.store.db import Database
from rules.checklist import load_checklist
from sample_videos.recordings import footage_dir

SITE = """\
branch: {{id: DISPATCH, timezone: Asia/Shanghai}}
business_hours: {{mon-sun: ["09:00", "{closing}"]}}
cameras:
  - id: cam
    recordings: {{folder: recordings, pattern: "cam_%Y%m%d_%H%M%S.mp4"}}
    zones: [{{id: post, purpose: teller_post, polygon: [[0.3, 0.3], [0.7, 0.3], [0.7, 0.9], [0.3, 0.9]]}}]
"""


def build(cache: Path, short: int, long_min: float) -> Path:
    root = cache / f"dispatch_{short}x0.5_{long_min:g}"
    site = root / "site.yaml"
    if site.exists():
        return site
    clip = footage_dir() / "one-by-one-person-detection.mp4"
    folder = root / "recordings"
    folder.mkdir(parents=True)
    start = datetime(DAY.year, DAY.month, DAY.day, 9, 0, tzinfo=TZ)
    for minutes in [0.5] * short + [long_min]:
        source = recording(cache, "720p", 50, minutes, clip, native=True)
        (folder / start.strftime("cam_%Y%m%d_%H%M%S.mp4")).symlink_to(source)
        start += timedelta(minutes=minutes)
    site.write_text(SITE.format(closing=start.strftime("%H:%M:%S")), encoding="utf-8")
    return site


class PlanOrder(LocalExecutor):
    """The baseline: the units in plan order (camera, then time), as before."""

    def run(self, units):
        return super().run(sorted(units, key=lambda u: (u.ref.camera, u.ref.lo)))


def night(site: Path, cache: Path, executor: LocalExecutor, name: str) -> float:
    settings = UnitSettings(SamplingSpec(rate=1.0, threads=1), DetectorSpec(phone=None))
    checklist = load_checklist()
    days, _ = plan_night([site], DAY, settings, strict=True, checklist=checklist)
    db_path = cache / f"dispatch-{name}.db"
    db_path.unlink(missing_ok=True)
    db = Database(f"sqlite:///{db_path}")
    started = time.perf_counter()
    report = Night(db, settings, checklist, None, executor).run(days, DAY)
    wall = time.perf_counter() - started
    db.dispose()
    assert not report.failed_units, report.failed_units
    return wall


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--short", type=int, default=3, help="half-minute files before the long one")
    p.add_argument("--long", type=float, default=2.0, help="minutes of the last file")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "branch-audit-bench")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    args.cache.mkdir(parents=True, exist_ok=True)
    site = build(args.cache, args.short, args.long)
    for _ in range(args.repeat):
        plan = night(site, args.cache, PlanOrder(2), "plan")
        longest = night(site, args.cache, LocalExecutor(2), "longest")
        print(f"plan order {plan:.1f} s, longest first {longest:.1f} s, "
              f"ratio {longest / plan:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
