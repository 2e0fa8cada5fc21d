"""Options several commands share: the models `observe` and the nightly `run` take alike,
and the sampling rate `run` and `coverage` decode at."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Literal, get_args, get_origin

from pydantic.fields import FieldInfo

from cli.main import UserError
from detectors.config_base import validate
from detectors.phone import PhoneStageSettings
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
    """--config, a file of the models (pipeline/model_config.py), and one option per key of
    it, made from `ModelConfig`'s fields: a key's title and description are its help, a
    choice its choices, a switch on by default its `--no-` option. Defaults are None here:
    an option not given leaves the file's value, or the model's default."""
    p.add_argument(
        "--config", type=Path, metavar="FILE",
        help="the model options as YAML (docs/running.md, 'The models of a night'); options given "
        "here win over it",
    )  # fmt: skip
    phone = p.add_argument_group("phone use (the second stage: windows around staff hands)")
    for name, info in ModelConfig.model_fields.items():
        group = phone if name.startswith("phone") else p
        flag, kwargs = _option(name, info)
        group.add_argument(flag, default=None, **kwargs)


def _option(name: str, info: FieldInfo) -> tuple[str, dict]:
    """A key's option: `--no-KEY` for a switch on by default, else `--KEY VALUE`."""
    dashed = name.replace("_", "-")
    if info.annotation is bool:
        text = f"{info.title} off: {info.description}".replace("%", "%%")
        return f"--no-{dashed}", {"action": "store_true", "help": text}
    default = "" if info.default is None else f" (default {info.default})"
    text = f"{info.title}: {info.description}{default}".replace("%", "%%")
    if get_origin(info.annotation) is Literal:
        return f"--{dashed}", {"choices": get_args(info.annotation), "help": text}
    if Path in get_args(info.annotation):
        return f"--{dashed}", {"type": Path, "metavar": "FILE", "help": text}
    raise TypeError(f"ModelConfig.{name}: no command-line option for {info.annotation}")


def model_config(args: argparse.Namespace) -> ModelConfig:
    """The models the options ask for: the --config file's, overridden by what was given."""
    path = getattr(args, "config", None)
    base = load_model_config(path) if path is not None else ModelConfig()
    given = {}
    for name, info in ModelConfig.model_fields.items():
        if info.annotation is bool:
            off = getattr(args, f"no_{name}", None)
            if off is not None:
                given[name] = not off
        elif (value := getattr(args, name, None)) is not None:
            given[name] = value
    return merged(base, given)


def phone_settings(args: argparse.Namespace) -> PhoneStageSettings | None:
    """The phone stage the options ask for; None: full-frame detector only."""
    models = model_config(args)
    if not models.phone_stage:
        return None
    given = {"backend": models.phone_backend, "weights": models.phone_weights}
    return validate(given, PhoneStageSettings, "phone stage settings")
