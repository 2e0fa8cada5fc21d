"""The phone stage with the shipped models on real footage: negatives stay quiet, a composite
phone is found, and `observe` turns a phone held for 10 s into a PHONE_USE finding."""

import functools
import json
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from benchmarks.clips import clip_path, samples
from benchmarks.composites import composite
from cli.main import main
from detectors import analyzer as analyzer_module
from detectors import phone as phone_module
from detectors.backends.movenet import K, MoveNetMultiPose
from detectors.phone import PhoneStage, PhoneStageSettings, upper_body_crop
from detectors.registry import load_detector
from pipeline.evidence.video_writer import H264Writer

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


PLACE = (110, 100)  # the driver's chin, in front of his chest: a phone held up to read


def _carphone_with_phone(seed=0, size=40):
    """The carphone driver (no phone in the clip) with a composite phone held up in front."""
    _, frame = next(samples(clip("carphone"), 1.0, 2))  # the frame at 1 s
    out, placed = composite(frame, PLACE, size, -20.0, np.random.default_rng(seed))
    assert placed is not None
    return out, placed


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_crop_detector_finds_a_composite_phone(first, stage, seed):
    frame, placed = _carphone_with_phone(seed)
    dets = first.detect(frame)
    persons = dets.in_group("person").with_min_confidence(0.35)
    ev = stage.assess(T0, frame, "car", persons, dets.in_group("phone"))
    assert "det" in ev.cues and ev.conf >= 0.3
    x1, y1, x2, y2 = placed.xyxy
    cx, cy = (ev.box[0] + ev.box[2]) / 2, (ev.box[1] + ev.box[3]) / 2
    assert x1 <= cx <= x2 and y1 <= cy <= y2


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


def _observe(tmp_path, capsys, frames, *extra):
    """Observe a real H.264 file of `frames` (one every 2 s, nearly lossless): the samples
    as JSON rows and the PHONE_USE findings `observe` reports on stderr."""
    video = tmp_path / "v.mp4"
    with H264Writer(video, fps=0.5, crf=4) as writer:
        for _, frame in frames:
            writer.write(frame)
    code = main(["observe", str(video), "--site", str(_site(tmp_path)), "--camera", "cam",
                 "--json", "--no-gate", "--fps", "0.5", *extra])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = [json.loads(line) for line in out.strip().splitlines()]
    return rows, [line for line in err.splitlines() if line.startswith("PHONE_USE")]


class _HandOnThePhone(MoveNetMultiPose):
    """MoveNet's real pose of the driver, with his right wrist moved to the composite phone.

    A composite changes pixels, not the person's posture: the driver's hands stay on the
    wheel, below the frame. This stands in for the pose a real phone call implies (the wrist
    up by the ear), so the whole path runs: pose cue → gate → detector → fusion → rules.
    """

    offset = (0, 0)

    def poses(self, image, min_box_score=0.2):
        out = super().poses(image, min_box_score)
        for p in out:
            p.xy[K["right_wrist"]] = np.array(PLACE, np.float32) - self.offset
            p.score[K["right_wrist"]] = 0.9
        return out


def test_observe_reports_a_phone_held_for_ten_seconds(tmp_path, monkeypatch, capsys, first):
    phone, _ = _carphone_with_phone()
    _, plain = next(samples(clip("carphone"), 1.0, 2))
    driver = first.detect(phone).in_group("person").with_min_confidence(0.35).xyxy[0]
    monkeypatch.setattr(_HandOnThePhone, "offset", upper_body_crop(driver, (176, 144))[:2])
    monkeypatch.setattr(phone_module, "MoveNetMultiPose", _HandOnThePhone)
    # the stage's models are loaded once per process: build them anew with the stand-in
    monkeypatch.setattr(analyzer_module, "_phone_models", functools.cache(phone_module.PhoneStage))
    # 0-6 s without, 6-20 s with the phone, 20-30 s without; one sample every 2 s
    frames = [(t, phone if 6 <= t < 20 else plain) for t in range(0, 30, 2)]
    rows, findings = _observe(tmp_path, capsys, frames)
    assert [round(r["t"]) for r in rows] == list(range(0, 30, 2))
    held = rows[4]["zones"]["post-1"]
    assert held["phone"] and {"det", "hand", "pose"} <= set(held["phone_cues"].split("+"))
    assert not rows[0]["zones"]["post-1"]["phone"]
    (finding,) = findings
    start, end = (float(x) for x in re.search(r"post-1: ([\d.]+)–([\d.]+) s", finding).groups())
    assert 4 <= start <= 8 and 18 <= end <= 22


def test_observe_without_the_phone_stage_runs_no_crops(tmp_path, capsys):
    """--no-phone-stage leaves phone use to the full-frame rule: no cue of the second stage
    (crop detector, hand, pose) ever appears."""
    phone, _ = _carphone_with_phone()
    rows, _ = _observe(tmp_path, capsys, [(t, phone) for t in range(0, 20, 2)], "--no-phone-stage")
    assert len(rows) == 10
    assert all(r["zones"]["post-1"]["phone_cues"] == "" for r in rows)
