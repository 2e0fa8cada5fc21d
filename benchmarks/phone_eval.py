"""Phone use: palms and hand windows (detectors/phone.py) on real negatives and composite
positives, and their cost.

    PYTHONPATH=. .venv/bin/python benchmarks/phone_eval.py [--limit N] [--configs NAME ...]

Negatives are the real clips, every person treated as staff (each frame is one teller
post: stricter than a site's zones): tables and bottles handled by hands, pedestrians, a
man talking in a car with no phone (when cached, `python -m benchmarks.clips`). Positives
are the same frames with a drawn phone (benchmarks/composites.py) — composites, not real
phones — placed where the palm detector found a hand (`held`: at the hand's centre, 1.1-
1.8 palm lengths long, the ratio measured on a real phone in docs/accuracy.md) or beside
the person's head (`at ear`: no hand is drawn there). Prints the markdown tables of
docs/accuracy.md, "Phone use".
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from benchmarks.clips import clip_path, samples
from benchmarks.composites import composite
from detectors.phone import PhoneStage, PhoneStageSettings, load_crop_detector, upper_body_crop
from detectors.registry import load_detector, load_palm_detector
from rules.temporal import windowed_violations

SETS = {  # name: (clip, seconds between samples)
    "table (one-by-one)": ("one-by-one-person-detection.mp4", 1.0),
    "pedestrians (vtest)": ("vtest.avi", 1.0),
    "bottles (bottle-detection)": ("bottle-detection.mp4", 1.0),
    "car (carphone)": ("carphone", 0.25),  # 4 s long
}
CONFIGS = {
    "default (palm 0.4, window 6×, NanoDet-m)": {},
    "palm 0.3": {"palm_conf": 0.3},
    "palm 0.5": {"palm_conf": 0.5},
    "window 4×": {"window": 4.0},
    "window 8×": {"window": 8.0},
    "NanoDet-m INT8 windows": {"model": "nanodet-int8"},
    "no size check": {"phone_to_palm": (0.01, 100.0)},
    "persons ≥ 60 px searched": {"min_person_px": 60},
    "no still reuse": {"reuse_still": False, "reuse_windows": False},
    "no window reuse": {"reuse_windows": False},
}
DEFAULT = next(iter(CONFIGS))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: composites per person-sample and placement are drawn this long, in palm lengths
PHONE_TO_PALM = (1.1, 1.8)


@dataclass
class Result:
    samples: int = 0
    searched: int = 0  # person-samples big enough to search
    with_palm: int = 0
    windows: int = 0
    windows_reused: int = 0
    reused: int = 0
    phone_samples: int = 0
    findings: int = 0
    scores: list = field(default_factory=list)  # best phone-sized window score per sample
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    #: placement -> [found, placed]
    pos: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


def _on(box, placed) -> bool:
    if box is None:
        return False
    x1, y1, x2, y2 = placed
    mx, my = 0.5 * (x2 - x1), 0.5 * (y2 - y1)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return x1 - mx <= cx <= x2 + mx and y1 - my <= cy <= y2 + my


def _findings(times: list[float], phone: list[bool]) -> int:
    spans = [(a, b) for a, b, on in zip(times, times[1:], phone, strict=False) if on]
    return len(windowed_violations(spans, 10.0, 30.0))


def placements(stage: PhoneStage, frame, person, rng) -> dict[str, tuple]:
    """Where a composite phone goes for one person: (centre, length) per placement; the
    ear is beside the head, on a random side, at the held phone's length."""
    size = (frame.shape[1], frame.shape[0])
    x1, y1, x2, y2 = upper_body_crop(person, size)
    palms = stage.palm_model.palms(frame[y1:y2, x1:x2], stage.settings.palm_conf)
    if not palms:
        return {}
    palm = palms[0].shifted(x1, y1)
    length = int(round(palm.side * rng.uniform(*PHONE_TO_PALM)))
    w = person[2] - person[0]
    side = -1 if rng.random() < 0.5 else 1
    ear = ((person[0] + person[2]) / 2 + side * 0.3 * w, person[1] + 0.12 * (person[3] - person[1]))
    return {"held": (palm.centre, length), "at ear": (ear, length)}


def evaluate(clip, every, stages, composites, first, limit, rng, draws) -> dict[str, Result]:
    results = {c: Result() for c in stages}
    series: dict[str, list[bool]] = defaultdict(list)
    times = []
    for t, frame in samples(clip_path(clip), every, limit):
        persons = first.detect(frame).in_group("person").with_min_confidence(0.35)
        times.append(t)
        for c, stage in stages.items():
            r, k = results[c], stage.counters
            before = (k.searched, k.palm_runs, k.windows, k.reused, k.seconds, k.cpu_seconds)
            windows_reused = k.windows_reused
            palms_before = k.palms
            ev = stage.assess(T0 + timedelta(seconds=t), frame, "post", persons)
            r.samples += 1
            r.searched += k.searched - before[0]
            r.windows += k.windows - before[2]
            r.reused += k.reused - before[3]
            r.seconds += k.seconds - before[4]
            r.cpu_seconds += k.cpu_seconds - before[5]
            r.windows_reused += k.windows_reused - windows_reused
            r.with_palm += min(k.palms - palms_before, k.palm_runs - before[1])
            r.phone_samples += ev.phone
            r.scores.append(ev.score)
            series[c].append(ev.phone)
        for person in persons.xyxy[:3]:
            if person[3] - person[1] < PhoneStageSettings().min_person_px:
                continue
            places = [placements(composites[DEFAULT], frame, person, rng) for _ in range(draws)]
            for where, (centre, length) in (p for one in places for p in one.items()):
                angle = float(rng.uniform(-35, 35)) + 90 * (where == "at ear")
                img, placed = composite(frame, tuple(centre), length, angle, rng)
                if placed is None:
                    continue
                for c, stage in composites.items():
                    ev = stage.assess(T0, img, "post", persons)
                    tally = results[c].pos[where]
                    tally[0] += ev.phone and _on(ev.box, placed.xyxy)
                    tally[1] += 1
    for c in stages:
        results[c].findings = _findings(times, series[c])
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="samples per clip (default: whole clips)")
    ap.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--draws", type=int, default=3, help="composites per hand and placement")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    first = load_detector("onnx", threads=args.threads)
    palm = load_palm_detector(args.threads)
    detectors = {}
    stages, composites = {}, {}
    for c in args.configs:
        s = PhoneStageSettings(threads=args.threads, **CONFIGS[c])
        det = detectors.setdefault(s.model, load_crop_detector(s))
        stages[c] = PhoneStage(s, det, palm)
        # each composite judged on its own: nothing reused from the frame without it
        alone = {"reuse_still": False, "reuse_windows": False}
        composites[c] = PhoneStage(s.model_copy(update=alone), det, palm)
    if DEFAULT not in composites:
        s = PhoneStageSettings(threads=args.threads, reuse_still=False, reuse_windows=False)
        composites[DEFAULT] = PhoneStage(
            s, detectors.setdefault(s.model, load_crop_detector(s)), palm
        )
    rng = np.random.default_rng(args.seed)
    results = {}
    for name, (clip, every) in SETS.items():
        try:
            results[name] = evaluate(
                clip, every, stages, composites, first, args.limit, rng, args.draws
            )
        except OSError as exc:
            print(f"  {name}: skipped ({exc})")
            continue
        print(f"  {name}: {results[name][args.configs[0]].samples} samples", flush=True)
    report(results, args.configs)


def _pct(a: int, n: int) -> str:
    return f"{a}/{n} ({a / n:.0%})" if n else "–"


def report(results: dict[str, dict[str, Result]], configs: list[str]) -> None:
    print("\n#### Negatives (real clips, no phone; every person is staff)\n")
    print(
        "| set | config | samples | staff person-samples searched | with a palm | windows "
        "| best window score (max; samples ≥ 0.1) | false phone samples | PHONE_USE findings |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, by in results.items():
        for c in configs:
            r = by[c]
            cand = sum(s >= 0.1 for s in r.scores)
            print(
                f"| {name} | {c} | {r.samples} | {r.searched} | {_pct(r.with_palm, r.searched - r.reused)} "
                f"| {r.windows} | {max(r.scores, default=0):.2f}; {cand} | "
                f"{_pct(r.phone_samples, r.searched)} | {r.findings} |"
            )
    print("\n#### Composite phones in palm-detected hands (recall)\n")
    print("| set | config | held | at ear |")
    print("|---|---|---|---|")
    for name, by in results.items():
        for c in configs:
            held, ear = by[c].pos["held"], by[c].pos["at ear"]
            print(f"| {name} | {c} | {_pct(*held)} | {_pct(*ear)} |")
    print(
        "\n#### Cost on the negatives (one thread; still persons and windows reused as in a night)\n"
    )
    print(
        "| config | CPU ms per staff person-sample | wall ms | persons reused "
        "| windows run per searched person | windows reused |"
    )
    print("|---|---|---|---|---|---|")
    for c in configs:
        rs = [by[c] for by in results.values()]
        n = sum(r.searched for r in rs)
        ms = 1000 * sum(r.seconds for r in rs) / max(n, 1)
        cpu = 1000 * sum(r.cpu_seconds for r in rs) / max(n, 1)
        reused = sum(r.reused for r in rs)
        windows = sum(r.windows for r in rs)
        kept = sum(r.windows_reused for r in rs)
        print(
            f"| {c} | {cpu:.1f} | {ms:.1f} | {_pct(reused, n)} "
            f"| {windows / max(n - reused, 1):.2f} | {_pct(kept, windows + kept)} |"
        )


if __name__ == "__main__":
    main()
