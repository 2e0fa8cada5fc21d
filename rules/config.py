"""Loading a bank's YAML files into validated models, with errors a bank can act on.

A bank edits these files by hand, so a mistake is reported by where it sits in the file
(`items[2].cap: must be ≥ 0`) rather than as a pydantic traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """A bank's file section: unknown keys are typos, and loaded settings never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigError(ValueError):
    """A configuration file is unreadable or invalid; the message lists every problem."""


_MESSAGES = {
    "greater_than_equal": "must be ≥ {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be ≤ {le}",
    "less_than": "must be < {lt}",
    "missing": "is required",
    "extra_forbidden": "is not a known key",
}


def _location(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _message(error: dict) -> str:
    template = _MESSAGES.get(error["type"])
    if template is None:
        return error["msg"].removeprefix("Value error, ")
    return template.format(**error.get("ctx", {}))


def describe(exc: ValidationError) -> list[str]:
    """One `path: message` line per problem."""
    return [f"{_location(e['loc'])}: {_message(e)}" for e in exc.errors()]


def validate(data: object, model: type[M], source: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: " + "; ".join(describe(exc))) from None


def load_yaml(path: str | Path, model: type[M]) -> M:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return validate(data, model, str(path))
