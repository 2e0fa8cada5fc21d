"""The one base of every record read from outside (a bank's checklist and policy files,
site files, API request bodies), and errors a person can act on.

A bank edits these files by hand, so a mistake is reported by where it sits in the file
(`items[2].cap: must be ≥ 0`, `cameras[1].zones[0].polygon: point 3 is outside 0..1`)
rather than as a pydantic traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Read from outside: unknown keys are typos, and what was read never changes. Fields
    carry a title and a description (README's reference tables are made from them)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


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


_VALIDATOR_STEPS = ("function-after", "function-before", "function-wrap")


def _location(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if part in _VALIDATOR_STEPS:
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _message(error: dict) -> str:
    template = _MESSAGES.get(error["type"])
    if template is None:
        return error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
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


def reference_table(models: tuple[tuple[str, type[BaseModel]], ...]) -> str:
    """A file's keys as a Markdown table from the models' own titles and descriptions,
    each model's keys under its prefix (`cameras[].`); README's reference tables are these."""
    lines = ["| key | what it is |", "|---|---|"]
    for prefix, model in models:
        for name, info in model.model_fields.items():
            if info.exclude:
                continue
            key = info.alias or name
            default = (
                ""
                if info.is_required() or info.default in (None, [], "")
                else (f" (default `{info.default}`)")
            )
            lines.append(f"| `{prefix}{key}` | {info.title}: {info.description}{default} |")
    return "\n".join(lines)
