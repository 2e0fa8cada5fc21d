"""`branch-audit train`: fine-tune a phone model on an exported dataset, offline
(detectors/training.py); writes weights.pt, curves.png and metrics.json."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from detectors.training import TrainSettings, train


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="fine-tune the bank's phone model (ultralytics, offline)",
        description=__doc__.splitlines()[0],
    )  # fmt: skip
    p.add_argument("--data", type=Path, required=True, help="data.yaml of `dataset export`")
    p.add_argument(
        "--model", required=True,
        help="base model: a .pt to fine-tune (e.g. yolo11n.pt, placed by hand) or a .yaml",
    )  # fmt: skip
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--imgsz", type=int, default=640, help="training image size (default 640)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--device", default="cpu", help="cpu, or a GPU index such as 0")
    p.add_argument("--out", type=Path, required=True, help="folder for the weights and curves")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    result = train(
        TrainSettings(
            args.data, args.model, args.out, args.epochs, args.imgsz, args.device, args.batch
        )
    )
    print(json.dumps({k: round(v, 4) for k, v in result.final.items()}))
    print(f"weights: {result.weights.resolve()}")
    print(f"curves: {result.curves.resolve()}; metrics: {result.metrics.resolve()}")
    return 0
