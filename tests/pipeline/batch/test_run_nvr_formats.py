"""The night judges NVR exports as it judges MP4: the real clip of a person coming to and
leaving a table (tests/support/run_site.py) recorded as an NVR writes it (no B-frames,
a keyframe every 2 s in H.264 and every 4 s in H.265), and the same packets copied into
MPEG-TS and into MPEG-PS under Hikvision- and Dahua-style names. One night over the six
copies, stored in SQLite: each copy's findings are its H.264 MP4 original's, item by item,
their times within one sample (the run reads one frame a second).

Recorders write no B-frames, and the program stream's untimed packets are timed on that
ground (pipeline/footage/packets.py): the shared clip's own H.264, which has B-frames,
copied into MPEG-PS gave the same findings but 101 samples of 140, some up to 0.9 s off.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database
from sample_videos.recordings import nvr_encode, remux
from tests.support.run_site import BRANCH, CLIP, PATTERN, SITE, at, run_cli

ORIGINAL = "H264-MP4"
SAMPLE = timedelta(seconds=1)  # --rate 1 (tests/support/run_site.py)
#: branch → (codec, container, file-name pattern as that export names it)
COPIES = {
    ORIGINAL: ("h264", "mp4", "post_%Y%m%d_%H%M%S.mp4"),
    "H264-TS": ("h264", "ts", "post_%Y%m%d%H%M%S.ts"),
    # Hikvision: a program stream under an .mp4 name
    "H264-PS": ("h264", "ps", "1_01_R_%Y%m%d%H%M%S.mp4"),
    "H265-MP4": ("h265", "mp4", "post_%Y%m%d_%H%M%S.mp4"),
    "H265-TS": ("h265", "ts", "ch02_%Y%m%d%H%M%S.ts"),
    # Dahua: a program stream named by its start and its end
    "H265-PS": ("h265", "ps", "ch02_main_%Y%m%d%H%M%S_%Y%m%d%H%M%S.dav"),
}
CLIP_S = 139.4


def _name(pattern: str) -> str:
    """The file's name by `pattern`: its start, and its end (whole seconds) where the
    pattern carries the time twice."""
    second = pattern.find("%Y", pattern.index("%Y") + 1)
    if second < 0:
        return at(0).strftime(pattern)
    return at(0).strftime(pattern[:second]) + at(int(CLIP_S)).strftime(pattern[second:])


@pytest.fixture(scope="module")
def night(footage, tmp_path_factory):
    """The six copies, one site file each, and one run over them: the database's URL."""
    root = tmp_path_factory.mktemp("nvr-night")
    encoded = {
        codec: nvr_encode(
            footage / CLIP,
            root / "encoded" / f"{codec}.mp4",
            fps=10,  # the clip's own rate
            gop_s=gop_s,
            codec=f"lib{codec.replace('h', 'x')}",
            b_frames=False,
        )
        for codec, gop_s in (("h264", 2.0), ("h265", 4.0))
    }
    sites = root / "sites"
    sites.mkdir()
    for branch, (codec, container, pattern) in COPIES.items():
        target = root / "recordings" / branch / _name(pattern)
        if container == "mp4":
            target.parent.mkdir(parents=True)
            target.symlink_to(encoded[codec])
        elif container == "ts":
            remux(encoded[codec], target)
        else:  # MPEG-PS from the transport stream (its packets in Annex B, as PS needs)
            remux(remux(encoded[codec], root / "ts" / f"{codec}.ts"), target, "mpeg")
        site = SITE.replace(BRANCH, branch).replace(PATTERN, pattern)
        site = site.replace("recordings/post", str(target.parent))
        (sites / f"{branch}.yaml").write_text(site, encoding="utf-8")
    db_url = f"sqlite:///{root / 'night.db'}"
    doc = run_cli(sites, db_url)
    assert doc["failed_units"] == [] and doc["failed"] == []
    return db_url, doc


def _findings(db_url: str) -> dict[str, list[m.Finding]]:
    db = Database(db_url)
    with db.session() as s:
        rows = s.scalars(select(m.Finding).order_by(m.Finding.start)).all()
        s.expunge_all()
    db.dispose()
    out: dict[str, list[m.Finding]] = {}
    for f in rows:
        out.setdefault(f.branch_id, []).append(f)
    return out


def test_the_original_shows_the_six_absences_and_the_missing_tail(night):
    db_url, _ = night
    found = _findings(db_url)[ORIGINAL]
    # six times the person leaves the table (tests/data/labels/one-by-one-person-detection
    # .csv), then no footage from the clip's end to closing (09:06)
    assert [f.item for f in found] == ["TELLER_ABSENT"] * 6 + ["FOOTAGE_MISSING"]
    assert abs(found[-1].start - at(CLIP_S)) <= SAMPLE


@pytest.mark.parametrize("branch", [b for b in COPIES if b != ORIGINAL])
def test_each_copy_gives_the_findings_of_its_mp4_original(night, branch):
    db_url, doc = night
    found = _findings(db_url)
    want, got = found[ORIGINAL], found[branch]
    assert [(f.item, f.zone, f.cameras) for f in got] == [(f.item, f.zone, f.cameras) for f in want]
    for a, b in zip(got, want, strict=True):
        assert abs(a.start - b.start) <= SAMPLE and abs(a.end - b.end) <= SAMPLE, (a.item, b.start)
    original, copy = doc["branches"][ORIGINAL], doc["branches"][branch]
    assert copy["score"] == original["score"]
    assert copy["coverage"] == pytest.approx(original["coverage"], abs=SAMPLE.seconds / 360)


def test_every_copy_is_sampled_when_its_mp4_is(night):
    """Each TS and PS copy is sampled at the times its MP4 of the same codec is (the Dahua
    name's end, in whole seconds, cuts its copy at 139 s): no frame lost to untimed
    packets, none misplaced; the H.264 original once a second throughout."""
    db_url, _ = night
    db = Database(db_url)
    with db.session() as s:
        units = {u.branch_id: u for u in s.scalars(select(m.WorkUnit))}
        gaps = s.scalars(select(m.CoverageGap)).all()
    db.dispose()
    assert set(units) == set(COPIES) and {u.status for u in units.values()} == {"done"}
    times = {b: u.observations["t"] for b, u in units.items()}
    assert times[ORIGINAL] == [at(i).timestamp() for i in range(140)]
    for branch, (codec, _, _) in COPIES.items():
        mp4 = times[f"{codec.upper()}-MP4"]
        assert times[branch] == (mp4[:139] if branch == "H265-PS" else mp4), branch
    # besides the hole after the clip, only its last fraction of a second goes unsampled
    assert {g.reason for g in gaps} == {"no file", "no samples"}
    assert all(g.start >= at(CLIP_S) - 2 * SAMPLE for g in gaps if g.reason == "no samples")
