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
from pipeline.model_config import ModelConfig, load_model_config, merged

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
    """--backend/--weights for the full-frame detector, the phone stage's options, and
    --config, a file of the same (pipeline/model_config.py). Defaults are None here: an
    option not given leaves the file's value, or the model's default."""
    p.add_argument(
        "--config", type=Path, metavar="FILE",
        help="the model options as YAML (README, 'The models of a night'); options given "
        "here win over it",
    )  # fmt: skip
    p.add_argument(
        "--no-gate", action="store_true", default=None, help="run the detector on every sample"
    )
    p.add_argument("--backend", choices=BACKENDS, default=None, help="default onnx")
    p.add_argument("--weights", type=Path, help="model file for the backend")
    phone = p.add_argument_group("phone use (the second stage: windows around staff hands)")
    phone.add_argument(
        "--phone-backend", choices=BACKENDS, default=None,
        help="detector of the windows around hands: the shipped NanoDet-m (onnx, default) or the bank's own weights "
        "(yolo)",
    )  # fmt: skip
    phone.add_argument(
        "--phone-weights", type=Path, metavar="FILE",
        help="model file for --phone-backend (yolo: .pt/.onnx/.engine with a phone class)",
    )  # fmt: skip
    phone.add_argument(
        "--no-phone-stage", action="store_true", default=None,
        help="phone use from the full-frame detector only: faster, finds little at CCTV "
        "distances (docs/benchmarks.md)",
    )  # fmt: skip


def _negated(value: bool | None) -> bool | None:
    return None if value is None else not value


def model_config(args: argparse.Namespace) -> ModelConfig:
    """The models the options ask for: the --config file's, overridden by what was given."""
    path = getattr(args, "config", None)
    base = load_model_config(path) if path is not None else ModelConfig()
    given = {
        "backend": getattr(args, "backend", None),
        "weights": getattr(args, "weights", None),
        "gate": _negated(getattr(args, "no_gate", None)),
        "phone_stage": _negated(getattr(args, "no_phone_stage", None)),
        "phone_backend": getattr(args, "phone_backend", None),
        "phone_weights": getattr(args, "phone_weights", None),
    }
    return merged(base, {k: v for k, v in given.items() if v is not None})


def phone_settings(args: argparse.Namespace) -> PhoneStageSettings | None:
    """The phone stage the options ask for; None: full-frame detector only."""
    models = model_config(args)
    if not models.phone_stage:
        return None
    try:
        return PhoneStageSettings(backend=models.phone_backend, weights=models.phone_weights)
    except ValidationError as exc:
        raise UserError(f"phone stage settings: {exc}") from exc
