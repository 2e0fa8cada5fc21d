"""Options several commands share: the models `observe` and the nightly `run` take alike,
and the sampling rate `run` and `coverage` decode at."""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import ValidationError

from cli.main import UserError
from detectors.phone import PhoneStageSettings
from detectors.registry import BACKENDS
from pipeline.footage.sampler import KEYFRAMES, SamplingSpec

DB_HELP = "database URL (default: $BRANCH_AUDIT_DB, else ./branch_audit.db)"


def add_rate_option(p: argparse.ArgumentParser) -> None:
    default = SamplingSpec().rate
    p.add_argument(
        "--rate", default=str(default),
        help=f"samples per second, or '{KEYFRAMES}' (default {default})",
    )  # fmt: skip


def sampling_rate(args: argparse.Namespace) -> float | str:
    """--rate as SamplingSpec takes it."""
    try:
        return args.rate if args.rate == KEYFRAMES else float(args.rate)
    except ValueError:
        raise UserError(f"--rate: not a number nor '{KEYFRAMES}': {args.rate}") from None


def add_model_options(p: argparse.ArgumentParser) -> None:
    """--backend/--weights for the full-frame detector, and the phone stage's options."""
    p.add_argument("--no-gate", action="store_true", help="run the detector on every sample")
    p.add_argument("--backend", choices=BACKENDS, default="onnx")
    p.add_argument("--weights", help="model file for the backend")
    phone = p.add_argument_group("phone use (the second stage on staff crops)")
    phone.add_argument(
        "--phone-backend", choices=BACKENDS, default="onnx",
        help="crop detector: the shipped NanoDet-m (onnx) or the bank's own weights (yolo)",
    )  # fmt: skip
    phone.add_argument(
        "--phone-weights", type=Path, metavar="FILE",
        help="model file for --phone-backend (yolo: .pt/.onnx/.engine with a phone class)",
    )  # fmt: skip
    phone.add_argument("--no-pose", action="store_true", help="without the MoveNet pose cue")
    phone.add_argument(
        "--no-phone-stage", action="store_true",
        help="phone use from the full-frame detector only: faster, finds little at CCTV "
        "distances (docs/benchmarks.md)",
    )  # fmt: skip


def phone_settings(args: argparse.Namespace) -> PhoneStageSettings | None:
    """The phone stage the options ask for; None: full-frame detector only."""
    if args.no_phone_stage:
        return None
    try:
        return PhoneStageSettings(
            backend=args.phone_backend, weights=args.phone_weights, pose=not args.no_pose
        )
    except ValidationError as exc:
        raise UserError(f"phone stage settings: {exc}") from exc
