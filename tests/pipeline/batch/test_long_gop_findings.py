"""A long-GOP copy of a real clip is judged as its short-GOP original: the night's cadence
takes the keyframes as its coarse samples there (pipeline/footage/sampler.py) and the full
rate only while an item needs it, and the findings stay those the original gives.

The copies are made here from the real clips, as NVRs write them (no B-frames): the
original with a keyframe at every sampling slot, the copy H.265 with a dynamic GOP."""

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from pipeline.batch.units import CadenceSpec, DetectorSpec, UnitSettings, plan_branch_day
from pipeline.batch.worker import run_unit
from pipeline.footage.recordings import probe
from pipeline.footage.sampler import FileSampler, FileTask, SamplingSpec
from rules.checklist import Checklist, load_checklist
from rules.temporal import judge_day
from sample_videos.recordings import nvr_encode
from tests.support.recordings import TZ

DAY = date(2026, 11, 27)
POST = "[[0.37, 0.58], [0.75, 0.58], [0.75, 0.78], [0.66, 0.98], [0.43, 0.98], [0.36, 0.80]]"
# the lobby manager's zone of benchmarks/nightly.py: the paved band, 2-7 walkers at a time
LINE = "[[0.0, 0.33], [1.0, 0.34], [1.0, 0.86], [0.0, 0.42]]"

#: The teller-post absence item at the clip's scale, every number of the default checklist
#: in the same proportion to the others: the clip's absences last 5-8 s, so the trigger is
#: 4.5 s (as tests/data/checklists/short-absence.yaml), the debouncing window 2 s, and
#: samples may stand for 0.75 s, so the item is coarse (4.5 s ≥ ten coarse samples of
#: 0.45 s) and keyframes up to 0.75 s apart may serve as its samples.
SCALED = """
hysteresis: {window_s: 2, confirm_ok_at: 0.6, start_below: 0.2, end_at: 0.5}
sampling: {max_gap_s: 0.75, bridge_s: 10}
items:
  - code: TELLER_ABSENT
    name_zh: 柜员离岗 / 窗口空岗
    name_en: Teller post unmanned
    evidence: {signal: absent, purposes: [teller_post]}
    trigger: {duration_s: 4.5}
    deduction: 2
    cap: 10
"""


def _site(root: Path, camera: str, zone: str, closing: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    site = root / "site.yaml"
    site.write_text(
        "branch: {id: LONG-GOP, name: long-GOP test branch, region: test, "
        "timezone: Asia/Shanghai}\n"
        f'business_hours: {{mon-sun: ["09:00", "{closing}"]}}\n'
        "cameras:\n"
        f"  - id: {camera}\n    role: counter\n"
        f'    recordings: {{folder: ., pattern: "{camera}_%Y%m%d_%H%M%S.mp4"}}\n'
        f"    zones:\n      - {zone}\n",
        encoding="utf-8",
    )
    return site


def _copies(footage: Path, root: Path, clip: str, camera: str, short_s: float, long_s):
    """{"short": folder, "long": folder}, each a 09:00 recording of the clip at its own
    speed (10 fps), H.264 with a keyframe every `short_s`, H.265 with `long_s` in turn."""
    out = {}
    for kind, codec, gops in (("short", "libx264", (short_s,)), ("long", "libx265", long_s)):
        folder = root / kind
        nvr_encode(
            footage / clip, folder / f"{camera}_20261127_090000.mp4", fps=10,
            gops_s=gops, codec=codec, b_frames=False, seconds=(0.0, 120.0),
        )  # fmt: skip
        out[kind] = folder
    return out


def _judge(site: Path, checklist: Checklist, rate: float, cadence: CadenceSpec | None):
    settings = UnitSettings(
        SamplingSpec(rate=rate, max_side=640), DetectorSpec(phone=None), cadence
    )
    day = plan_branch_day(site, DAY, settings, checklist)
    frames, decoded = [], 0
    for unit in day.units:
        result = run_unit(unit)
        assert result.status == "done", result.reason
        frames += result.observations.frames(unit.ref.camera, TZ)
        decoded += result.decoded
    zones = day.site.schedule().zones
    review = judge_day(frames, day.business, checklist, branch=day.branch, zones=zones)
    return review, frames, decoded


def _same(a, b, within_s: float) -> None:
    """The same findings: item, zone, and each end within `within_s`."""
    assert [(f.item, f.zone) for f in a] == [(f.item, f.zone) for f in b]
    slack = timedelta(seconds=within_s)
    for x, y in zip(a, b, strict=True):
        assert abs(x.start - y.start) <= slack and abs(x.end - y.end) <= slack, (x, y)


def test_teller_absences_on_keyframes_are_the_originals(footage, tmp_path):
    """A post whose item is coarse (SCALED): the copy's keyframes (0.4-0.7 s apart) are its
    samples while nothing changes, the full rate (0.4 s) after each change; every absence
    of the original is found, each end within one max_gap_s (a keyframe's lag at most)
    and one sampling interval (re-encoded pixels: the detector may see a person a sample
    sooner or later), with far fewer frames decoded than the same copy at the full rate."""
    checklist = Checklist.model_validate(yaml.safe_load(SCALED))
    cadence = CadenceSpec.of(checklist)
    assert dict(cadence.needs) == {"teller_post": "coarse"}
    copies = _copies(
        footage, tmp_path, "one-by-one-person-detection.mp4", "post", 0.4, (0.4, 0.7, 0.5, 0.7)
    )
    zone = f"{{id: post-1, purpose: teller_post, anchor: feet, polygon: {POST}}}"
    sites = {k: _site(folder, "post", zone, "09:02") for k, folder in copies.items()}
    original, original_frames, _ = _judge(sites["short"], checklist, 2.5, None)
    keyed, frames, decoded = _judge(sites["long"], checklist, 2.5, cadence)
    recording = next(copies["long"].glob("*.mp4"))
    segment = probe(recording, datetime(2026, 11, 27, 9, 0, tzinfo=TZ), TZ)
    full = FileSampler(FileTask(segment, segment.start, segment.end), SamplingSpec(rate=2.5))
    assert sum(1 for _ in full) == len(original_frames)

    assert len(original.findings) >= 5  # the clip's absences (labels: 5-8 s each)
    _same(keyed.findings, original.findings, checklist.sampling.max_gap_s + 1 / 2.5)
    assert keyed.coverage == pytest.approx(original.coverage, abs=0.01)
    times = [f.t.timestamp() for f in frames]
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) <= 0.75
    assert decoded < 0.6 * full.decoded


def test_counter_crowding_at_the_default_rate_is_the_originals(footage, tmp_path):
    """The default checklist at the default rate: a one-metre zone over vtest's busy paved
    band, its walkers' count changing all the time, so the cadence stays at the full rate
    and the crowding (more than one person for a minute) is found as on the original."""
    checklist = load_checklist()
    copies = _copies(footage, tmp_path, "vtest.avi", "lobby", 2.0, (4.0, 7.0, 10.0, 5.0, 9.0, 6.0))
    zone = f"{{id: line, purpose: one_metre_zone, polygon: {LINE}}}"
    sites = {k: _site(folder, "lobby", zone, "09:02") for k, folder in copies.items()}
    original, _, _ = _judge(sites["short"], checklist, 0.5, CadenceSpec.of(checklist))
    copy, _, _ = _judge(sites["long"], checklist, 0.5, CadenceSpec.of(checklist))
    assert [f.item for f in original.findings] == ["COUNTER_CROWDING"]
    _same(copy.findings, original.findings, checklist.sampling.max_gap_s)
