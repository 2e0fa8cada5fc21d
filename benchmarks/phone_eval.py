"""Phone use: the second stage on real negatives and composite positives, and its cost.

    PYTHONPATH=. .venv/bin/python benchmarks/phone_eval.py [--limit N] [--models centernet nanodet]
        [--first nanodet-int8]

`--models`: the crop detectors compared (registry names: nanodet, nanodet-int8, centernet);
`--first`: the full-frame detector (default: fp32 NanoDet-m).

Negatives are the real clips (people at a table, pedestrians, a man talking in a car with
no phone). Positives are the same clips with a drawn phone composited into a person's hand
(benchmarks/composites.py) — composites, not real phones. Every person is treated as staff
(the whole frame is one teller post): stricter than a site's zones. Prints the markdown
tables of docs/accuracy.md, "Phone use".
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from benchmarks.clips import clip_path, samples
from benchmarks.composites import composite
from detectors.backends.movenet import K, MoveNetMultiPose
from detectors.phone import PhoneStage, PhoneStageSettings, upper_body_crop
from detectors.registry import load_detector
from detectors.zones import upper_body_share
from rules.temporal import windowed_violations

SETS = {  # name: (clip, seconds between samples)
    "table (one-by-one)": ("one-by-one-person-detection.mp4", 2.0),
    "pedestrians (vtest)": ("vtest.avi", 2.0),
    "car (carphone)": ("carphone", 0.0),  # 4 s long: every frame
}
SIZES = (30, 45, 60, 80)
MAX_PHONE_TO_PERSON = 0.2  # a phone longer than this share of the person is not realistic
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class Tally:
    n: int = 0
    hits: int = 0
    wrong: int = 0  # phone reported, but not on the composite

    def add(self, hit: bool, reported: bool) -> None:
        self.n += 1
        self.hits += hit
        self.wrong += reported and not hit


@dataclass
class SetResult:
    samples: int = 0
    persons: int = 0
    pose_fires: int = 0
    neg_frames: dict = field(default_factory=lambda: defaultdict(int))  # config -> phone frames
    neg_findings: dict = field(default_factory=dict)
    pos: dict = field(default_factory=lambda: defaultdict(Tally))  # (config, size) -> Tally
    ms: dict = field(default_factory=lambda: defaultdict(list))  # config -> ms per sample
    #: config -> (pose cue fired, pose runs, crop-detector runs) on the negatives
    runs: dict = field(default_factory=dict)


def _on(box, placed) -> bool:
    if box is None:
        return False
    x1, y1, x2, y2 = placed
    mx, my = 0.5 * (x2 - x1), 0.5 * (y2 - y1)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return x1 - mx <= cx <= x2 + mx and y1 - my <= cy <= y2 + my


def _hand_point(pose_model: MoveNetMultiPose, frame, person):
    """Where the person's hand is: the surer wrist if seen, else beside the head (a call)."""
    x1, y1, x2, y2 = upper_body_crop(person, (frame.shape[1], frame.shape[0]))
    poses = pose_model.poses(frame[y1:y2, x1:x2])
    if not poses:
        return None, "none"
    p = max(poses, key=lambda q: float(q.score.sum()))
    wrist = max(("left_wrist", "right_wrist"), key=lambda w: p.score[K[w]])
    if p.score[K[wrist]] >= 0.25:
        return p.at(wrist) + (x1, y1), "wrist"
    ear = max(("left_ear", "right_ear"), key=lambda e: p.score[K[e]])
    if p.score[K[ear]] >= 0.25:
        side = -1 if ear == "right_ear" else 1  # the person's right ear is on the image left
        return p.at(ear) + (x1 + side * 0.08 * (person[2] - person[0]), y1), "ear"
    return None, "none"


def _findings(times: list[float], phone: list[bool]) -> int:
    spans = [(a, b) for a, b, on in zip(times, times[1:], phone, strict=False) if on]
    return len(windowed_violations(spans, 10.0, 30.0))


def evaluate(name, clip, every, configs, first, pose_model, limit, rng) -> SetResult:
    r = SetResult()
    stages = {
        c: PhoneStage(s, pose_model=pose_model if s.pose else None) for c, s in configs.items()
    }
    baseline = "first stage only"
    phone_series = defaultdict(list)
    times = []
    for t, frame in samples(clip_path(clip), every, limit):
        r.samples += 1
        start = time.perf_counter()
        dets = first.detect(frame)
        first_ms = (time.perf_counter() - start) * 1000
        r.ms[baseline].append(first_ms)
        persons = dets.in_group("person").with_min_confidence(0.35)
        phones = dets.in_group("phone").with_min_confidence(0.25)
        r.persons += len(persons)
        times.append(t)
        at = T0 + timedelta(seconds=t)
        for c, stage in stages.items():
            k = stage.counters
            before = (k.suggested_by["pose"], k.pose_runs, k.crop_runs)
            start = time.perf_counter()
            ev = stage.assess(at, frame, "post", persons, phones)
            r.ms[c].append(first_ms + (time.perf_counter() - start) * 1000)
            phone_series[c].append(ev.phone)
            r.neg_frames[c] += ev.phone
            fired, pose_runs, crop_runs = r.runs.get(c, (0, 0, 0))
            r.runs[c] = (
                fired + k.suggested_by["pose"] - before[0],
                pose_runs + k.pose_runs - before[1],
                crop_runs + k.crop_runs - before[2],
            )
        # Positives: a phone in a person's hand, at each realistic size.
        for person in persons.xyxy[:3]:
            point, _ = _hand_point(pose_model, frame, person)
            if point is None:
                continue
            for size in SIZES:
                if size > MAX_PHONE_TO_PERSON * (person[3] - person[1]):
                    continue
                angle = float(rng.uniform(-35, 35)) + (90 * (rng.random() < 0.2))
                img, placed = composite(frame, tuple(point), size, angle, rng)
                if placed is None:
                    continue
                d2 = first.detect(img)
                p2 = d2.in_group("phone").with_min_confidence(0.25)
                old = [b for b in p2.xyxy if upper_body_share(b, person) >= 0.5]
                r.pos[(baseline, size)].add(any(_on(b, placed.xyxy) for b in old), bool(old))
                for c, stage in stages.items():
                    stage._last_evidence.clear()  # each composite is judged on its own
                    ev = stage.assess(at, img, "post", persons, p2)
                    r.pos[(c, size)].add(ev.phone and _on(ev.box, placed.xyxy), ev.phone)
    for c in stages:
        r.neg_findings[c] = _findings(times, phone_series[c])
        r.pose_fires = max(r.pose_fires, r.runs[c][0])
    print(f"  {name}: {r.samples} samples, {r.persons} person-samples", flush=True)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="samples per clip (default: whole clips)")
    ap.add_argument("--models", nargs="+", default=["centernet", "nanodet"])
    ap.add_argument("--first", default="nanodet", help="the full-frame detector's model")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    first = load_detector("onnx", threads=2, model=args.first)
    pose_model = MoveNetMultiPose(threads=2)
    configs = {}
    for m in args.models:
        configs[f"{m}: detector alone"] = PhoneStageSettings(
            model=m, pose=False, always=True, alone_conf=0.2, threads=2
        )
        configs[f"{m}: fused, every person"] = PhoneStageSettings(model=m, always=True, threads=2)
        configs[f"{m}: fused, gated"] = PhoneStageSettings(model=m, threads=2)
        configs[f"{m}: fused, every person, hand windows"] = PhoneStageSettings(
            model=m, always=True, hand_windows=True, threads=2
        )
        configs[f"{m}: fused, gated, hand windows"] = PhoneStageSettings(
            model=m, hand_windows=True, threads=2
        )
    rng = np.random.default_rng(args.seed)
    results = {}
    for name, (clip, every) in SETS.items():
        try:
            results[name] = evaluate(name, clip, every, configs, first, pose_model, args.limit, rng)
        except OSError as exc:
            print(f"  {name}: skipped ({exc})")
    report(results, ["first stage only", *configs])


def report(results: dict[str, SetResult], configs: list[str]) -> None:
    print("\n#### Negatives (real clips, no phone)\n")
    print(
        "| set | samples | person-samples | pose cue fired | config | phone frames | PHONE_USE findings |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        for c in configs[1:]:
            print(
                f"| {name} | {r.samples} | {r.persons} | {r.pose_fires} ({r.pose_fires / max(r.persons, 1):.0%}) "
                f"| {c} | {r.neg_frames[c]} | {r.neg_findings[c]} |"
            )
    print("\n#### Positives (composites) — recall per phone size, precision per set\n")
    head = " | ".join(f"{s} px" for s in SIZES)
    print(f"| set | config | {head} | all | precision |")
    print("|---|---|" + "---|" * (len(SIZES) + 2))
    for name, r in results.items():
        for c in configs:
            cells, n, hits, wrong = [], 0, 0, 0
            for s in SIZES:
                tally = r.pos.get((c, s))
                if not tally or tally.n == 0:
                    cells.append("–")
                    continue
                cells.append(f"{tally.hits}/{tally.n} ({tally.hits / tally.n:.0%})")
                n, hits, wrong = n + tally.n, hits + tally.hits, wrong + tally.wrong
            fp = wrong + r.neg_frames.get(c, 0)
            prec = f"{hits / (hits + fp):.0%} ({hits}/{hits + fp})" if hits + fp else "–"
            rec = f"{hits}/{n} ({hits / n:.0%})" if n else "–"
            print(f"| {name} | {c} | {' | '.join(cells)} | {rec} | {prec} |")
    print("\n#### Cost on the real clips (ms per sample, median; first stage included)\n")
    print("| set | config | median ms | p90 ms | pose runs | crop-detector runs |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        for c in configs:
            ms = sorted(r.ms[c])
            p90 = ms[int(0.9 * (len(ms) - 1))]
            _, pose, crops = r.runs.get(c, (0, 0, 0))
            print(f"| {name} | {c} | {statistics.median(ms):.1f} | {p90:.1f} | {pose} | {crops} |")


if __name__ == "__main__":
    main()
