"""`coverage` and `run` say the same of a damaged file: the same observed time and the
same gaps, because both decode it by the one rule (pipeline/footage/coverage.py)."""

import json
import random
from datetime import datetime

import pytest
from sqlalchemy import select

from cli import main as cli
from pipeline.footage.coverage import assemble
from pipeline.site import load_site
from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.readback import day_gaps, load_stored
from tests.support.recordings import DAY, at, cut, write_clip
from tests.support.run_site import run_cli

SITE = """\
branch: {id: DAMAGED, timezone: Asia/Shanghai}
business_hours: {mon-sun: ["09:00", "09:01"]}
cameras:
  - id: cam-1
    recordings: {folder: recordings, pattern: "cam-1_%Y%m%d_%H%M%S.mp4"}
    zones: [{id: post-1, purpose: teller_post, polygon: [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8]]}]
"""


@pytest.fixture
def damaged_site(tmp_path):
    """40 s from 09:00 with a keyframe every 4 s, a tenth of its bytes overwritten in the
    middle (the index at the front stays valid: the file opens and lasts 40 s)."""
    clip = write_clip(
        tmp_path / "recordings" / at(0).strftime("cam-1_%Y%m%d_%H%M%S.mp4"), 40, gop=40
    )
    data = bytearray(clip.read_bytes())
    a, b = int(len(data) * 0.4), int(len(data) * 0.5)
    data[a:b] = random.Random(13).randbytes(b - a)
    clip.write_bytes(bytes(data))
    site = tmp_path / "site.yaml"
    site.write_text(SITE, encoding="utf-8")
    return site


def _gaps(gaps) -> list[tuple[str, str, str]]:
    return [(g.start.isoformat(), g.end.isoformat(), str(g.reason)) for g in gaps]


def test_coverage_and_run_report_the_same_time_and_gaps(damaged_site, tmp_path, capsys):
    # --decode: the exact check (without it, packets only: decode errors go unseen)
    cli.main(["coverage", "--site", str(damaged_site), "--date", DAY.isoformat(), "--rate", "1",
              "--decode", "--json"])  # fmt: skip
    seen = json.loads(capsys.readouterr().out)["cameras"]["cam-1"]
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"

    run_cli(damaged_site, url)  # at one sample a second too (tests/support/run_site.py)

    site = load_site(damaged_site)
    db = Database(url)
    stored = load_stored(db, "DAMAGED", DAY, site.tz)
    run = assemble("cam-1", (at(0), at(60)), stored.observed["cam-1"], stored.gaps["cam-1"])
    reported = [g for g in day_gaps(db, "DAMAGED", DAY, site.tz) if g.reason != "no samples"]
    db.dispose()
    coverage = [(g["start"], g["end"], g["reason"]) for g in seen["gaps"]]
    assert "decode error" in {reason for _, _, reason in coverage}  # the damage is seen
    assert coverage == _gaps(run.gaps) == _gaps(reported)
    assert seen["observed_s"] == pytest.approx(run.observed_s, abs=1e-3)
    assert datetime.fromisoformat(coverage[-1][0]) == at(40)  # then no file till closing


def test_each_unknown_interval_is_stored_once(tmp_path):
    """A whole file, a truncated one and an unreadable one (a failed unit): each stretch
    of unknown time is one row of coverage_gaps, with its reason."""
    folder = tmp_path / "recordings"
    name = "cam-1_%Y%m%d_%H%M%S.mp4"
    write_clip(folder / at(0).strftime(name), 20)
    cut(write_clip(folder / at(20).strftime(name), 20), 0.5)
    (folder / at(40).strftime(name)).write_bytes(b"\x00\x00\x00\x18ftypisom" * 64)
    site = tmp_path / "site.yaml"
    site.write_text(SITE, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"

    doc = run_cli(site, url)

    (failed,) = doc["failed_units"]
    assert failed["reason"].startswith("unreadable")
    db = Database(url)
    with db.session() as s:
        rows = s.scalars(select(m.CoverageGap).order_by(m.CoverageGap.start)).all()
    db.dispose()
    assert {r.camera_id for r in rows} == {"cam-1"}
    spans = [(r.start, r.end) for r in rows]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), spans
    reasons = [r.reason for r in rows]
    assert "truncated" in reasons and sum(r.startswith("unit failed: ") for r in reasons) == 1
