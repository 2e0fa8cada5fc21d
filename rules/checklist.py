"""The off-site checklist as data: which signal each item reads, its trigger and its price.

Every number a bank might argue about lives in a YAML file (default: `checklist.yaml` next
to this module); the engine only knows the kinds of evidence and of trigger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from detectors.observations import ZoneObservation, ZonePurpose
from rules.config import StrictModel, load_yaml

DEFAULT_CHECKLIST = Path(__file__).with_name("checklist.yaml")


class _Evidence(StrictModel):
    purposes: tuple[ZonePurpose, ...] = Field(min_length=1)


class AbsentEvidence(_Evidence):
    """The post is unmanned."""

    signal: Literal["absent"]

    def violates(self, zone: ZoneObservation) -> bool:
        return not zone.present


class PhoneEvidence(_Evidence):
    signal: Literal["phone"]

    def violates(self, zone: ZoneObservation) -> bool:
        return zone.phone


class ClutterEvidence(_Evidence):
    """Unlike the clean reference by more than `min_ratio`, or clutter objects seen on it."""

    signal: Literal["clutter"]
    min_ratio: float = Field(default=0.1, gt=0, le=1)

    def violates(self, zone: ZoneObservation) -> bool:
        return zone.clutter > self.min_ratio or zone.clutter_objects > 0


class PersonsEvidence(_Evidence):
    """More persons in the zone than allowed (crowding: > 1; a guard standing still: > 0)."""

    signal: Literal["persons"]
    more_than: int = Field(ge=0)

    def violates(self, zone: ZoneObservation) -> bool:
        return zone.persons > self.more_than


class FootageEvidence(StrictModel):
    """No footage of a camera during judged time, whatever the reason (no file, unreadable,
    truncated, a failed unit, a silence between samples): judged from the coverage gaps,
    not from zones, so it names no purposes."""

    signal: Literal["footage"]
    purposes: tuple[ZonePurpose, ...] = ()

    def violates(self, zone: ZoneObservation) -> bool:
        return False  # no zone shows missing footage; the gaps do (rules/temporal.py)


Evidence = Annotated[
    AbsentEvidence | PhoneEvidence | ClutterEvidence | PersonsEvidence | FootageEvidence,
    Field(discriminator="signal"),
]


class Trigger(StrictModel):
    """`duration_s` continuous, or (with `window_s`) accumulated within any such window."""

    duration_s: float = Field(gt=0)
    window_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _window_holds_duration(self) -> Trigger:
        if self.window_s is not None and self.window_s < self.duration_s:
            raise ValueError("window_s must be ≥ duration_s")
        return self


class ChecklistItem(StrictModel):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    name_zh: str
    name_en: str
    evidence: Evidence
    #: `zone`: each zone judged alone; `purpose`: all zones of the evidence's purposes form
    #: one post (the lobby manager is on post if any lobby camera sees them).
    scope: Literal["zone", "purpose"] = "zone"
    trigger: Trigger
    deduction: float = Field(ge=0)
    cap: float = Field(ge=0)
    enabled: bool = True


class Hysteresis(StrictModel):
    """Debouncing of the share of a sliding window in which a zone is as it should be.

    A violation starts when the share falls below `start_below`, ends when it recovers to
    `end_at`; a violation that ended but was not confirmed OK (`confirm_ok_at`) before the
    share fell again continues as the same violation.
    """

    window_s: float = Field(default=20.0, gt=0)
    confirm_ok_at: float = Field(default=0.6, ge=0, le=1)
    start_below: float = Field(default=0.2, ge=0, le=1)
    end_at: float = Field(default=0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Hysteresis:
        if not self.start_below < self.end_at <= self.confirm_ok_at:
            raise ValueError("need start_below < end_at ≤ confirm_ok_at")
        return self


class Sampling(StrictModel):
    #: a sample stands for the time up to the next one if that is at most this far away;
    #: longer silences are unknown time
    max_gap_s: float = Field(default=10.0, gt=0)


class Checklist(StrictModel):
    hysteresis: Hysteresis = Hysteresis()
    sampling: Sampling = Sampling()
    #: deduction factor for a repeat within the period or an item the branch was told to fix
    repeat_factor: float = Field(default=2.0, ge=1)
    min_coverage: float = Field(
        default=0.9, ge=0, le=1, title="minimum coverage",
        description="a check counts only if its coverage — the share of business hours each "
        "of the branch's cameras was observed, averaged over its cameras — reaches this; "
        "below it the check is incomplete: it keeps its findings but is left out of period "
        "means, ranks, rewards and commendations",
    )  # fmt: skip
    items: tuple[ChecklistItem, ...]

    def complete(self, coverage: float) -> bool:
        """Whether a check with this coverage counts (unknown is not perfect either)."""
        return covers(coverage, self.min_coverage)

    @model_validator(mode="after")
    def _unique_codes(self) -> Checklist:
        codes = [item.code for item in self.items]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"duplicate item codes: {', '.join(duplicates)}")
        return self

    def item(self, code: str) -> ChecklistItem:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    @property
    def enabled(self) -> tuple[ChecklistItem, ...]:
        return tuple(item for item in self.items if item.enabled)


def covers(coverage: float, min_coverage: float) -> bool:
    """A check's coverage reaches the minimum (float shares: a hair below still reaches)."""
    return coverage >= min_coverage - 1e-9


def load_checklist(path: str | Path | None = None) -> Checklist:
    """The bank's checklist file, or the default one; raises ConfigError listing problems."""
    return load_yaml(path or DEFAULT_CHECKLIST, Checklist)
