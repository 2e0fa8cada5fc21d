"""The phone stage with the shipped models on real footage: negatives stay quiet, a composite
phone is found, and `observe` turns a phone held for 10 s into a PHONE_USE finding."""

import json
import sys
import types
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from benchmarks.clips import clip_path, samples
from benchmarks.composites import composite
from detectors.base import load_detector
from detectors.phone import PhoneStage, PhoneStageSettings

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NEGATIVES = [  # clip, seconds between samples, samples: bounded so this runs in seconds
    ("one-by-one-person-detection.mp4", 7.0, 20),
    ("vtest.avi", 10.0, 8),
    ("carphone", 0.25, 16),
]


def clip(name):
    try:
        return clip_path(name)
    except OSError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def first():
    return load_detector("onnx", threads=2)


@pytest.fixture(scope="module")
def stage():
    """Every staff person searched (stricter than the gate), with the pose cue."""
    return PhoneStage(PhoneStageSettings(always=True, threads=2))


@pytest.mark.parametrize(("name", "every", "limit"), NEGATIVES, ids=[n[0] for n in NEGATIVES])
def test_negatives_stay_quiet(first, stage, name, every, limit):
    searched = 0
    for t, frame in samples(clip(name), every, limit):
        dets = first.detect(frame)
        persons = dets.in_group("person").with_min_confidence(0.35)
        phones = dets.in_group("phone").with_min_confidence(0.25)
        ev = stage.assess(T0 + timedelta(seconds=t), frame, "post", persons, phones)
        searched += len(persons)
        assert not ev.phone, f"{name} at {t:.1f} s: phone use reported ({ev})"
    assert searched > 0  # the clip has people, so the stage did look


def _carphone_with_phone(size=45):
    """The carphone driver with a phone at his ear (he talks; none is visible in the clip)."""
    _, frame = next(samples(clip("carphone"), 1.0, 1))
    out, placed = composite(frame, (128, 62), size, 8.0, np.random.default_rng(3))
    assert placed is not None
    return out, placed


def test_a_composite_phone_at_the_ear_is_found(first, stage):
    frame, placed = _carphone_with_phone()
    dets = first.detect(frame)
    persons = dets.in_group("person").with_min_confidence(0.35)
    ev = stage.assess(T0, frame, "car", persons, dets.in_group("phone"))
    assert ev.phone and "det" in ev.cues
    x1, y1, x2, y2 = placed.xyxy
    cx, cy = (ev.box[0] + ev.box[2]) / 2, (ev.box[1] + ev.box[3]) / 2
    assert x1 - 10 <= cx <= x2 + 10 and y1 - 10 <= cy <= y2 + 10


class _Sample(types.SimpleNamespace):
    pass


def _fake_sampler(frames):
    """pipeline.sampler as `observe` calls it: sample_video(path, fps) → .pts, .frame."""
    mod = types.ModuleType("pipeline.sampler")
    mod.VideoError = type("VideoError", (Exception,), {})
    mod.sample_video = lambda path, fps: (_Sample(pts=t, frame=f) for t, f in frames)
    return mod


def _site(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text(
        "branch: {id: T-1, name: test, region: r, timezone: Asia/Shanghai}\n"
        "business_hours: {mon-sun: ['00:00', '23:59']}\n"
        "cameras:\n"
        "  - id: cam\n"
        "    role: counter\n"
        "    recordings: {folder: rec, pattern: 'cam_%Y%m%d_%H%M%S.mp4'}\n"
        "    zones:\n"
        "      - {id: post-1, purpose: teller_post,"
        " polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]}\n"
    )
    return site


def _observe(tmp_path, monkeypatch, capsys, frames, *extra):
    monkeypatch.setitem(sys.modules, "pipeline.sampler", _fake_sampler(frames))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"")
    from pipeline.cli import main

    code = main(["observe", str(video), "--site", str(_site(tmp_path)), "--camera", "cam",
                 "--json", "--no-gate", *extra])  # fmt: skip
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


def test_observe_reports_a_phone_held_for_ten_seconds(tmp_path, monkeypatch, capsys):
    phone, _ = _carphone_with_phone()
    _, plain = next(samples(clip("carphone"), 1.0, 1))
    # 0-6 s without, 6-20 s with the phone, 20-30 s without; one sample every 2 s
    frames = [(t, phone if 6 <= t < 20 else plain) for t in range(0, 30, 2)]
    rows = _observe(tmp_path, monkeypatch, capsys, frames)
    assert rows[3]["zones"]["post-1"]["phone"] and "det" in rows[3]["zones"]["post-1"]["phone_cues"]
    (finding,) = rows[-1]["findings"]
    assert finding["item"] == "PHONE_USE" and finding["zone"] == "post-1"
    assert 4 <= finding["start_s"] <= 8 and 18 <= finding["end_s"] <= 22


def test_observe_without_the_phone_stage_finds_nothing(tmp_path, monkeypatch, capsys):
    phone, _ = _carphone_with_phone()
    rows = _observe(tmp_path, monkeypatch, capsys, [(t, phone) for t in range(0, 20, 2)],
                    "--no-phone-stage")  # fmt: skip
    assert rows[-1]["findings"] == []
