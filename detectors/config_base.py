"""The one base of every record read from outside (a bank's checklist and policy files,
site files, the models of a night, the stages' settings, API request bodies), and errors a
person can act on. It sits at the bottom layer so that every stage's settings share it.

A bank edits these files by hand, so a mistake is reported by where it sits in the file
(`items[2].cap: must be ≥ 0`, `cameras[1].zones[0].polygon: point 3 is outside 0..1`)
rather than as a pydantic traceback.
"""

from __future__ import annotations

import hashlib
import json
import types
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar, Union, get_args, get_origin

import yaml
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

M = TypeVar("M", bound=BaseModel)

DAY_S = 86_400.0
#: the largest amount of money, and of anything counted, a file may name: far above any
#: real one, far below what overflows the arithmetic that uses them
MAX_YUAN = 10_000_000.0
MAX_COUNT = 100_000

#: the numbers a bank writes, each with both its bounds (StrictModel refuses any without)
Seconds = Annotated[float, Field(gt=0, le=DAY_S)]  # a span of time within one day
Minutes = Annotated[float, Field(ge=0, le=DAY_S / 60)]  # minutes within one day
Share = Annotated[float, Field(ge=0, le=1)]  # a fraction, a ratio of a picture's side
Points = Annotated[float, Field(ge=0, le=100)]  # a score or a deduction out of 100
Yuan = Annotated[float, Field(ge=0, le=MAX_YUAN)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Month = Annotated[int, Field(ge=1, le=12)]


class StrictModel(BaseModel):
    """Read from outside: unknown keys are typos, and what was read never changes. Fields
    carry a title and a description (the docs' reference tables are made from them).

    Every number has a lower and an upper bound, checked when a subclass is defined: a
    file's `[10000000000000, 0]` is refused where it is read, naming its place, never
    met later as an overflow mid-night."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    #: fields that say how fast a setting runs, not what it finds: not in `fingerprint`
    unfingerprinted: ClassVar[frozenset[str]] = frozenset()

    def fingerprint(self, **extra: object) -> str:
        """What results made with these settings depend on, as one digest of the model's
        dump (`extra`: values that stand for a field, such as a file's content)."""
        return digest({**self.model_dump(mode="json", exclude=set(self.unfingerprinted)), **extra})

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for name, info in cls.model_fields.items():
            if _unbounded(info.annotation, info.metadata):
                raise TypeError(
                    f"{cls.__name__}.{name}: a number read from outside needs both bounds "
                    "(detectors/config_base.py: Seconds, Share, Points, Yuan, Count, …)"
                )


def digest(data: object) -> str:
    """sha256 of `data`'s canonical JSON (sorted keys, no spaces), as 64 hex digits."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _bounded(metadata: list) -> bool:
    return any(isinstance(c, Ge | Gt) for c in metadata) and any(
        isinstance(c, Le | Lt) for c in metadata
    )


def _unbounded(annotation: object, metadata: list) -> bool:
    """Whether a number inside `annotation` lacks a bound; `metadata` holds the
    constraints that apply to it itself (a union passes them on, a container does not)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        inner = [c for e in extra for c in getattr(e, "metadata", [e])]
        return _unbounded(base, [*metadata, *inner])
    if annotation in (int, float):
        return not _bounded(metadata)
    passed = metadata if origin in (Union, types.UnionType) else []
    return any(_unbounded(arg, passed) for arg in get_args(annotation) if arg is not Ellipsis)


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
    ctx = {k: _number(v) for k, v in error.get("ctx", {}).items()}
    return template.format(**ctx)


def _number(value: object) -> object:
    """A bound as a person writes it: 1440, not 1440.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


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
    each model's keys under its prefix (`cameras[].`); the reference tables of docs/site.md and docs/running.md are these."""
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
