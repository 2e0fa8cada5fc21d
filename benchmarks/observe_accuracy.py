"""Observations on the three real clips against the per-second labels in tests/data/labels,
with and without motion gating, for one or more detectors in the same run:

    .venv/bin/python benchmarks/observe_accuracy.py [--footage ../shared/footage] \
        [--models nanodet nanodet-int8 path/to/variant.onnx] [--max-side 640]

Prints, per detector, clip and measure, the share of labelled seconds the observations get
right, the seconds they get wrong, and how many samples the detector actually ran on.
A model is a registry name (detectors/registry.py) or a NanoDet .onnx file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from detectors.registry import load_detector  # noqa: E402
from pipeline.accuracy import agreement, read_labels  # noqa: E402
from pipeline.single_video import observe_video  # noqa: E402
from pipeline.site import load_site  # noqa: E402
from rules.checklist import load_checklist  # noqa: E402

DATA = REPO / "tests" / "data"
CLUTTER = load_checklist().item("COUNTER_CLUTTER").evidence

# clip, site, camera, zone, label file, column, judge, tolerance, measure
MEASURES = [
    ("one-by-one-person-detection.mp4", "one-by-one", "room", "table-post",
     "at_post", lambda z: int(z.present), 0, "person at the post"),
    ("bottle-detection.mp4", "bottle-detection", "table", "table-top",
     "cluttered", lambda z: int(CLUTTER.violates(z)), 0, "counter cluttered"),
    ("bottle-detection.mp4", "bottle-detection", "table", "table-top",
     "bottles", lambda z: z.clutter_objects, 0, "objects on the counter (exact)"),
    ("vtest.avi", "vtest", "campus", "paved",
     "persons_in_zone", lambda z: z.persons, 0, "persons in the zone (exact)"),
    ("vtest.avi", "vtest", "campus", "paved",
     "persons_in_zone", lambda z: z.persons, 1, "persons in the zone (±1)"),
]  # fmt: skip


def detector_named(model: str):
    """A registry model name, or a NanoDet-layout .onnx file (e.g. an unshipped variant)."""
    if model.endswith(".onnx"):
        return load_detector("onnx", model)
    return load_detector("onnx", model=model)


def evaluate(
    footage: Path, gated: bool, model: str = "nanodet", max_side: int | None = None
) -> list[tuple]:
    detector = detector_named(model)
    rows, cache = [], {}
    for clip, site_name, camera, zone, column, judge, tol, measure in MEASURES:
        if clip not in cache:
            site = load_site(DATA / "sites" / f"{site_name}.yaml")
            start = time.perf_counter()
            analyzer, observed = observe_video(
                footage / clip, site, camera, detector, 1.0, gated, max_side=max_side
            )
            observed = list(observed)
            cache[clip] = (observed, analyzer, time.perf_counter() - start)
        observed, analyzer, seconds = cache[clip]
        labels = read_labels(DATA / "labels" / f"{Path(clip).stem}.csv", column)
        result = agreement(observed, labels, zone, judge, tol)
        rows.append((clip, measure, result, analyzer, seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--footage", type=Path, default=REPO.parent / "shared" / "footage")
    parser.add_argument("--models", nargs="+", default=["nanodet"])
    parser.add_argument(
        "--max-side", type=int, help="analyse frames scaled to this, as `run --max-side` does"
    )
    args = parser.parse_args()
    print(
        "| model | clip | measure | gating | right | share | wrong at (s) | detector runs "
        "| wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for model in args.models:
        for gated in (False, True):
            rows = evaluate(args.footage, gated, model, args.max_side)
            for clip, measure, r, analyzer, seconds in rows:
                wrong = ", ".join(map(str, r.wrong_at)) or "—"
                print(
                    f"| {Path(model).name} | {clip} | {measure} | {'on' if gated else 'off'} "
                    f"| {r.right}/{r.labelled} | {r.share:.1%} | {wrong} "
                    f"| {analyzer.inferences}/{analyzer.frames} | {seconds:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
