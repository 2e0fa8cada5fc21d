"""`branch-audit detect`: run a detector over an image or a video and print what it sees."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from cli.main import UserError
from detectors.registry import BACKENDS, load_detector

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="detect objects in an image or a video")
    p.add_argument("path", type=Path, help="image or video file")
    p.add_argument("--backend", choices=BACKENDS, default="onnx")
    p.add_argument("--weights", help="model file (default: the shipped NanoDet-m for onnx)")
    p.add_argument("--conf", type=float, default=0.35, help="confidence threshold")
    p.add_argument("--fps", type=float, default=1.0, help="frames per second sampled from a video")
    p.add_argument("--json", action="store_true", help="one JSON object per frame")
    p.set_defaults(func=run)


def _frames(path: Path, fps: float) -> Iterator[tuple[float, np.ndarray]]:
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise UserError(f"{path}: not a readable image")
        yield 0.0, image
        return
    from pipeline.footage.sampler import VideoError, sample_video

    try:
        for sample in sample_video(path, rate=fps):
            yield sample.pts, sample.frame
    except VideoError as exc:
        raise UserError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    if not 0.0 < args.fps <= 30.0:
        raise UserError(f"--fps must be in (0, 30], got {args.fps}")
    detector = load_detector(args.backend, args.weights, conf=args.conf)
    frames = 0
    for t, frame in _frames(args.path, args.fps):
        dets = detector.detect(frame)
        frames += 1
        if args.json:
            print(json.dumps({"t": round(t, 3), "detections": dets.to_records()}), flush=True)
        else:
            counts = Counter(dets.names)
            summary = ", ".join(f"{n} {name}" for name, n in counts.most_common()) or "nothing"
            print(f"t={t:8.2f}s  {summary}")
    if frames == 0:
        raise UserError(f"{args.path}: no frames could be decoded")
    if not args.json:
        print(f"{frames} frame(s), detector {detector.version}", file=sys.stderr)
    return 0
