"""`branch-audit evaluate`: a phone model's precision and recall on the reviewed set it did
not train on, beside the shipped model's (pipeline/dataset/evaluate.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cli.main import UserError
from cli.options import DB_HELP
from detectors.phone import PhoneStageSettings, load_crop_detector
from detectors.registry import load_detector
from pipeline.dataset.evaluate import evaluate
from pipeline.dataset.export import DatasetError, manifest_keys
from pipeline.dataset.reviewed import SOURCES
from pipeline.store.db import Database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate", help="a phone model's precision and recall beside the shipped model's",
        description=__doc__.splitlines()[0],
    )  # fmt: skip
    p.add_argument("--weights", type=Path, required=True, help="the bank's model (.pt/.onnx)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--evidence", type=Path, default=Path("evidence"), help="evidence root")
    p.add_argument(
        "--manifest", type=Path,
        help="the model's training manifest.jsonl: its images are left out",
    )  # fmt: skip
    p.add_argument(
        "--conf", type=float, default=PhoneStageSettings().crop_conf,
        help="a phone this sure on a crop says 'phone' (default: the phone stage's crop_conf)",
    )  # fmt: skip
    p.add_argument("--items", nargs="+", choices=SOURCES, default=list(SOURCES))
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.conf < 1:
        raise UserError("--conf must be between 0 and 1")
    manifest = args.manifest or args.weights.parent / "manifest.jsonl"
    try:
        exclude = manifest_keys(manifest) if manifest.is_file() else set()
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    models = {
        "shipped": load_crop_detector(PhoneStageSettings()),
        args.weights.name: load_detector("yolo", args.weights, min(args.conf, 0.1)),
    }
    result = evaluate(
        Database(args.db), args.evidence, models, args.conf, exclude, sources=tuple(args.items)
    )
    if args.json:
        doc = {"images": result.images, "positives": result.positives,
               "excluded": result.excluded, "skipped": result.skipped,
               "models": {k: v.as_dict() for k, v in result.scores.items()}}  # fmt: skip
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{result.images} reviewed image(s), {result.positives} with a phone; "
        f"{result.excluded} left out (in the training manifest), {len(result.skipped)} unreadable"
    )
    print(f"{'model':<28} {'precision':>9} {'recall':>7}   tp  fp  fn  tn")
    for name, s in result.scores.items():
        p = "–" if s.precision is None else f"{s.precision:.3f}"
        r = "–" if s.recall is None else f"{s.recall:.3f}"
        print(f"{name:<28} {p:>9} {r:>7} {s.tp:4d}{s.fp:4d}{s.fn:4d}{s.tn:4d}")
    return 0
