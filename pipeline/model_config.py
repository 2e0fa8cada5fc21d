"""The models a night (or `observe`) runs, from a YAML file: `--config models.yaml`, so the
bank's own weights are set once for cron rather than on every command line.

Each key is a command-line option of the same name (`phone_weights` is
`--phone-weights`); an option given on the command line wins over the file. Paths are
relative to the file, and every mistake is reported by its key
(`models.yaml: phone_weights: no such file …`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationInfo, field_validator

from detectors.config_base import ConfigError, StrictModel, reference_table, validate

WEIGHT_KEYS = ("weights", "phone_weights")


class ModelConfig(StrictModel):
    """The detector, the motion gate and the phone stage (docs/running.md, "Detector backends")."""

    backend: Literal["onnx", "yolo"] = Field(
        "onnx", title="detector backend",
        description="`onnx`: the shipped NanoDet-m; `yolo`: ultralytics with `weights`",
    )  # fmt: skip
    weights: Path | None = Field(
        None, validate_default=True, title="detector weights",
        description="the full-frame detector's model file (`.pt`, `.onnx`, `.engine`)",
    )  # fmt: skip
    gate: bool = Field(
        True, title="motion gate",
        description="reuse detections while nothing in the zones changes (`--no-gate`: false)",
    )  # fmt: skip
    phone_stage: bool = Field(
        True, title="phone stage",
        description="the second stage: palms on staff crops, phones in windows around them "
        "(`--no-phone-stage`: false)",
    )  # fmt: skip
    phone_backend: Literal["onnx", "yolo"] = Field(
        "onnx", title="phone window detector",
        description="`onnx`: the shipped NanoDet-m; `yolo`: the bank's model in `phone_weights`",
    )  # fmt: skip
    phone_weights: Path | None = Field(
        None, validate_default=True, title="phone weights",
        description="the bank's phone model (`branch-audit train` writes `weights.pt`), with a "
        "class named `cell phone`, `phone` or `mobile_phone`",
    )  # fmt: skip

    @field_validator(*WEIGHT_KEYS)
    @classmethod
    def _exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        backend = info.data.get("backend" if info.field_name == "weights" else "phone_backend")
        used = info.field_name == "weights" or info.data.get("phone_stage", True)
        if value is None and backend == "yolo" and used:
            raise ValueError(f"{backend} needs a model file here: the bank's weights")
        # a .yaml is an untrained ultralytics architecture, built, not read
        if value is not None and value.suffix != ".yaml" and not value.is_file():
            raise ValueError(f"no such file {value}")
        return value


def load_model_config(path: Path) -> ModelConfig:
    """The file's settings; relative weights are relative to it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: (top level): a mapping of option: value")
    for key in WEIGHT_KEYS:
        if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
            data[key] = str(path.parent / data[key])
    return validate(data, ModelConfig, str(path))


def merged(base: ModelConfig, given: dict, source: str = "command line") -> ModelConfig:
    """`base` with the options given on the command line (they win), validated as one."""
    return validate({**base.model_dump(), **given}, ModelConfig, source)


def model_config_reference() -> str:
    """The file's keys as a Markdown table (docs/running.md's; a test keeps them equal)."""
    return reference_table((("", ModelConfig),))
