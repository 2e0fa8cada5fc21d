"""A small branch for the `run` tests, made of the real clip of a person coming to and
leaving a table: one camera watching a teller post, short business hours, two segment
files named by their start time with a hole between them (and, if asked, a corrupt one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from pipeline.accuracy import read_labels
from pipeline.site import parse_site
from rules.checklist import load_checklist
from rules.temporal import judge_day

CLIP = "one-by-one-person-detection.mp4"
BRANCH = "RUN-POST"
TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2024, 5, 6)
OPENING, CLOSING = "09:00", "09:06"
#: seconds after opening at which each copy of the clip starts (it lasts 139.4 s)
STARTS = (0, 180)
CORRUPT_AT = 330
PATTERN = "post_%Y%m%d_%H%M%S.mp4"
# the labelled table-post polygon (tests/data/sites/one-by-one.yaml), as a teller post
# judged by where a person stands
SITE = f"""\
branch: {{id: {BRANCH}, name: run test branch, region: test, timezone: Asia/Shanghai}}
business_hours: {{mon-sun: ["{OPENING}", "{CLOSING}"]}}
cameras:
  - id: post
    role: counter
    recordings: {{folder: recordings/post, pattern: "{PATTERN}"}}
    zones:
      - id: post-1
        purpose: teller_post
        anchor: feet
        polygon: [[0.37, 0.58], [0.75, 0.58], [0.75, 0.78], [0.66, 0.98], [0.43, 0.98], [0.36, 0.80]]
"""


def at(seconds: float) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, 9, 0, tzinfo=TZ) + timedelta(seconds=seconds)


def build_site(root: Path, footage: Path, corrupt: bool = False) -> Path:
    """The site file; its recordings are links to the shared clip (never copies)."""
    folder = root / "recordings" / "post"
    folder.mkdir(parents=True)
    for start in STARTS:
        (folder / at(start).strftime(PATTERN)).symlink_to(footage / CLIP)
    if corrupt:
        (folder / at(CORRUPT_AT).strftime(PATTERN)).write_bytes(b"\x00\x00\x00\x18ftypisom" * 64)
    site = root / "site.yaml"
    site.write_text(SITE, encoding="utf-8")
    return site


REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
CHECKLIST = DATA / "checklists" / "short-absence.yaml"
LABELS = DATA / "labels" / "one-by-one-person-detection.csv"


def run_args(site: Path, db_url: str, *extra: str) -> list[str]:
    """`branch-audit run` of the test branch (or a folder of sites): one sample a second (the clip has a keyframe
    every second), the short checklist, no evidence unless `extra` asks for it."""
    return [
        "run", "--sites" if site.is_dir() else "--site", str(site),
        "--date", DAY.isoformat(), "--db", db_url,
        "--checklist", str(CHECKLIST), "--rate", "1", "--json",
        *(extra if "--evidence" in extra else ("--no-evidence", *extra)),
    ]  # fmt: skip


def command(site: Path, db_url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *run_args(site, db_url, *extra)]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def run_cli(site: Path, db_url: str, *extra: str) -> dict:
    """The run in a process of its own, as cron starts it; its JSON document."""
    done = subprocess.run(
        command(site, db_url, *extra), capture_output=True, text=True, env=env(), timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def finding_keys(doc: dict, branch: str = BRANCH) -> list[tuple]:
    return [
        (f["id"], f["item"], f["camera"], f["zone"], f["start"], f["end"])
        for f in doc["branches"][branch]["findings"]
    ]


def label_findings() -> list[tuple[datetime, datetime]]:
    """The absences the labels imply: the labelled seconds of each copy of the clip as
    observations, judged by the same rules and checklist as the pipeline."""
    labels = read_labels(LABELS, "at_post")
    frames = [
        FrameObservation(
            at(start + t),
            "post",
            {"post-1": ZoneObservation("post-1", ZonePurpose.TELLER_POST, present=bool(v))},
        )
        for start in STARTS
        for t, v in sorted(labels.items())
    ]
    schedule = load_site_text().schedule()
    review = judge_day(
        frames, schedule.day(DAY), load_checklist(CHECKLIST), branch=BRANCH, zones=schedule.zones
    )
    return [(f.start, f.end) for f in review.findings]


def load_site_text():
    return parse_site(yaml.safe_load(SITE), REPO)
