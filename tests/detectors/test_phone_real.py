"""The phone stage with the shipped models on real footage: the three real clips as staff
zones stay quiet, a composite phone in a hand the palm detector found is found, and
`observe` turns such a phone held for 10 s into a PHONE_USE finding."""

import json
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from benchmarks.clips import clip_path, samples
from benchmarks.composites import composite
from cli.main import main
from detectors.observations import ZonePurpose
from detectors.observer import ZoneObserver, ZoneSpec
from detectors.phone import PhoneStage, PhoneStageSettings, upper_body_crop
from detectors.registry import load_detector
from pipeline.evidence.video_writer import H264Writer
from rules.temporal import windowed_violations

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WHOLE = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
CLIPS = [  # clip, seconds between samples: every person in them is staff
    ("one-by-one-person-detection.mp4", 2.0),
    ("vtest.avi", 2.0),
    ("bottle-detection.mp4", 1.0),
]


@pytest.fixture(scope="module")
def first():
    return load_detector("onnx", threads=2)


@pytest.fixture(scope="module")
def stage():
    return PhoneStage(PhoneStageSettings(threads=2))


@pytest.mark.parametrize(("name", "every"), CLIPS, ids=[c[0] for c in CLIPS])
def test_the_real_clips_as_staff_zones_stay_quiet(first, stage, name, every):
    """The whole frame is a teller post: every person is staff and searched, hands that
    place bottles and walkers' hands included. No PHONE_USE finding, and false phone
    samples under 1 % of the staff person-samples."""
    post = ZoneSpec("post", ZonePurpose.TELLER_POST, WHOLE)
    observer = ZoneObserver("cam", [post], phone_stage=stage)
    k = stage.counters
    persons0, searched0, palms0 = k.persons, k.searched, k.palms
    times, phone = [], []
    for t, frame in samples(clip_path(name), every):
        obs = observer.observe(T0 + timedelta(seconds=t), frame, first.detect(frame))
        times.append(t)
        phone.append(obs.zones["post"].phone)
    spans = [(a, b) for a, b, on in zip(times, times[1:], phone, strict=False) if on]
    assert windowed_violations(spans, 10.0, 30.0) == []
    person_samples = k.persons - persons0
    assert person_samples > 0 and sum(phone) < 0.01 * person_samples
    assert k.searched > searched0  # somebody was big enough to search
    if name == "bottle-detection.mp4":
        assert k.palms > palms0  # the hands placing bottles were searched around


def _hand_frames(first, stage, seconds=(23, 24)):
    """bottle-detection.mp4 at 23 s and 24 s: a hand over the second bottle (17 s: over
    the third), found by the palm detector in the arm's upper body; (frame, persons, palm)
    each."""
    out = []
    for t, frame in samples(clip_path("bottle-detection.mp4"), 1.0, 26):
        if round(t) not in seconds:
            continue
        persons = first.detect(frame).in_group("person").with_min_confidence(0.4)
        arm = max(persons.xyxy, key=lambda b: b[3] - b[1])
        x1, y1, x2, y2 = upper_body_crop(arm, (frame.shape[1], frame.shape[0]))
        (palm, *_) = stage.palm_model.palms(frame[y1:y2, x1:x2], 0.4)
        out.append((frame, persons, palm.shifted(x1, y1)))
    assert len(out) == len(seconds)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_composite_phone_in_a_detected_hand_is_found(first, seed):
    """COMPOSITE: a drawn phone (benchmarks/composites.py), 1.4 palm lengths long, pasted
    at the centre of a real hand the palm detector found; not a real phone."""
    stage = PhoneStage(PhoneStageSettings(reuse_still=False, threads=2))
    for frame, persons, palm in _hand_frames(first, stage):
        rng = np.random.default_rng(seed)
        angle = float(rng.uniform(-35, 35))
        img, placed = composite(frame, palm.centre, round(1.4 * palm.side), angle, rng)
        assert placed is not None
        ev = stage.assess(T0, img, "post", persons)
        assert ev.phone and ev.cues == ("palm", "det") and ev.conf >= 0.3
        x1, y1, x2, y2 = placed.xyxy
        cx, cy = (ev.box[0] + ev.box[2]) / 2, (ev.box[1] + ev.box[3]) / 2
        assert x1 <= cx <= x2 and y1 <= cy <= y2
        plain = stage.assess(T0, frame, "post", persons)
        assert not plain.phone  # the same hand without the composite: no phone


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


def _held(first):
    """COMPOSITE: the 17 s frame with a phone in the detected hand, and without. (In the
    23-24 s frames a phone over the hand often hides the arm from the person detector:
    the arm reaching in is a person only just.)"""
    stage = PhoneStage(PhoneStageSettings(threads=2))
    ((frame, _, palm),) = _hand_frames(first, stage, (17,))
    rng = np.random.default_rng(0)
    img, placed = composite(frame, palm.centre, round(1.4 * palm.side), 10.0, rng)
    assert placed is not None
    return img, frame


def test_observe_reports_a_composite_phone_held_for_ten_seconds(tmp_path, capsys, first):
    phone, plain = _held(first)
    # 0-6 s without, 6-20 s with the phone, 20-30 s without; one sample every 2 s
    frames = [(t, phone if 6 <= t < 20 else plain) for t in range(0, 30, 2)]
    rows, findings = _observe(tmp_path, capsys, frames)
    assert [round(r["t"]) for r in rows] == list(range(0, 30, 2))
    held = rows[4]["zones"]["post-1"]
    assert held["phone"] and held["phone_cues"] == "palm+det"
    assert not rows[0]["zones"]["post-1"]["phone"]
    (finding,) = findings
    start, end = (float(x) for x in re.search(r"post-1: ([\d.]+)–([\d.]+) s", finding).groups())
    assert 4 <= start <= 8 and 18 <= end <= 22


def test_observe_without_the_phone_stage_searches_no_hands(tmp_path, capsys, first):
    """--no-phone-stage leaves phone use to the full-frame rule: the composite phone, a
    sixth of the arm's height, is not seen and no cue of the second stage appears."""
    phone, _ = _held(first)
    rows, _ = _observe(tmp_path, capsys, [(t, phone) for t in range(0, 20, 2)], "--no-phone-stage")
    assert len(rows) == 10
    assert all(r["zones"]["post-1"]["phone_cues"] == "" for r in rows)
