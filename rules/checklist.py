"""The off-site checklist as data: which signal each item reads, its trigger and its price.

Every number a bank might argue about lives in a YAML file (default: `checklist.yaml` next
to this module); the engine only knows the kinds of evidence and of trigger.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from detectors.config_base import MAX_COUNT, Count, Points, Seconds, Share, StrictModel, load_yaml
from detectors.observations import Cadence, ZoneObservation, ZonePurpose

DEFAULT_CHECKLIST = Path(__file__).with_name("checklist.yaml")


class _Evidence(StrictModel):
    purposes: tuple[ZonePurpose, ...] = Field(
        min_length=1, title="zone purposes",
        description="the purposes of the zones the item reads (pipeline/site.py `purpose`)",
    )  # fmt: skip


class AbsentEvidence(_Evidence):
    """The post is unmanned."""

    signal: Literal["absent"] = Field(
        title="signal", description="what the item reads: the post is unmanned"
    )

    def violates(self, zone: ZoneObservation) -> bool:
        return not zone.present


class PhoneEvidence(_Evidence):
    signal: Literal["phone"] = Field(
        title="signal", description="what the item reads: staff using a phone"
    )

    def violates(self, zone: ZoneObservation) -> bool:
        return zone.phone


class ClutterEvidence(_Evidence):
    """Unlike the clean reference by more than `min_ratio`, or clutter objects seen on it."""

    signal: Literal["clutter"] = Field(
        title="signal",
        description="what the item reads: a counter surface unlike its clean reference",
    )
    min_ratio: float = Field(
        default=0.1, gt=0, le=1, title="clutter share",
        description="the share of the surface unlike its clean reference above which it is "
        "cluttered",
    )  # fmt: skip

    def violates(self, zone: ZoneObservation) -> bool:
        return zone.clutter > self.min_ratio or zone.clutter_objects > 0


class PersonsEvidence(_Evidence):
    """More persons in the zone than allowed (crowding: > 1)."""

    signal: Literal["persons"] = Field(
        title="signal", description="what the item reads: more persons in the zone than allowed"
    )
    more_than: Count = Field(
        title="most persons", description="more persons than this in the zone violate"
    )

    def violates(self, zone: ZoneObservation) -> bool:
        return zone.persons > self.more_than


#: gap reasons that are footage the branch did not provide: no file, a file cut short, a
#: recorder that wrote nothing for a while. A file that is there but could not be read
#: (unreadable, decode error, a failed unit) is the tool's unknown time, not the branch's.
CHARGED_GAPS = ("no file", "truncated", "no samples")


class FootageEvidence(StrictModel):
    """No footage of a camera during judged time for a `charged` reason: judged from the
    coverage gaps, not from zones, so it names no purposes. Gaps of other reasons stay
    unknown time (coverage, the timeline) without a finding."""

    signal: Literal["footage"] = Field(
        title="signal",
        description="what the item reads: a camera's footage missing for a charged reason",
    )
    purposes: tuple[ZonePurpose, ...] = Field(
        (), title="zone purposes", description="none: judged from the coverage gaps"
    )
    charged: tuple[str, ...] = Field(
        CHARGED_GAPS, title="charged gap reasons",
        description="gap reasons that are footage the branch did not provide",
    )  # fmt: skip

    def violates(self, zone: ZoneObservation) -> bool:
        return False  # no zone shows missing footage; the gaps do (rules/temporal.py)


class PatrolEvidence(_Evidence):
    """The guard walks the lobby: in every whole window of judged time (`trigger.duration_s`
    long) in which the guard was seen at all, they were seen at `min_points` patrol points
    (zones of the purposes; one id on two cameras is one point) or more. A point counts as
    visited with `visit_s` of the guard there in the window; a point not seen throughout
    the window may have been visited unseen. Sites with fewer points are not judged."""

    signal: Literal["patrol"] = Field(
        title="signal", description="what the item reads: the guard's walks between patrol points"
    )
    min_points: int = Field(
        default=2, ge=2, le=MAX_COUNT, title="patrol points",
        description="the points the guard is seen at in every window they are seen at all",
    )  # fmt: skip
    visit_s: Seconds = Field(
        4.0, title="visit", description="seconds of the guard at a point that count as a visit"
    )

    def violates(self, zone: ZoneObservation) -> bool:
        return False  # a window violates, never a sample (rules/windowed.py)

    def at_point(self, zone: ZoneObservation) -> bool:
        """The guard (uniform-matched where configured) stands at the point."""
        return zone.present


class MeetingEvidence(_Evidence):
    """The morning meeting was held: `min_persons` or more in the meeting zones (one place)
    for `trigger.duration_s` continuously, debounced as every state is, in the window before
    opening the site gives. One finding a day without it, unless the meeting could have been
    held in time no camera saw."""

    signal: Literal["meeting"] = Field(
        title="signal", description="what the item reads: the morning meeting before opening"
    )
    min_persons: int = Field(
        default=3, ge=1, le=MAX_COUNT, title="fewest persons",
        description="persons in the meeting zones that make a meeting",
    )  # fmt: skip

    def violates(self, zone: ZoneObservation) -> bool:
        return False  # the day violates, never a sample (rules/windowed.py)

    def meets(self, zone: ZoneObservation) -> bool:
        return zone.persons >= self.min_persons


class HandRaiseEvidence(StrictModel):
    """The teller greets each customer with a raised hand (举手示意): within `within_s`
    before or after each arrival at the window (its one-metre zone, which names the post,
    occupied for `trigger.duration_s` after it was empty as long), a sample shows the
    teller's hand up. A finding for a post whose misses in a day exceed `trigger.count`."""

    signal: Literal["hand_raise"] = Field(
        title="signal", description="what the item reads: the teller's raised hand at each arrival"
    )
    purposes: tuple[ZonePurpose, ...] = Field(
        (ZonePurpose.TELLER_POST,), title="zone purposes",
        description="the posts whose teller greets (their one-metre zones mark arrivals)",
    )  # fmt: skip
    within_s: Seconds = Field(
        10.0, title="greeting time",
        description="seconds before or after an arrival within which the hand is raised",
    )  # fmt: skip

    def violates(self, zone: ZoneObservation) -> bool:
        return False  # an arrival without a raised hand violates, never a sample


Evidence = Annotated[
    AbsentEvidence
    | PhoneEvidence
    | ClutterEvidence
    | PersonsEvidence
    | FootageEvidence
    | PatrolEvidence
    | MeetingEvidence
    | HandRaiseEvidence,
    Field(discriminator="signal"),
]
#: evidence judged over windows of time and events, not sample by sample (rules/windowed.py)
WindowedEvidence = PatrolEvidence | MeetingEvidence | HandRaiseEvidence


class Trigger(StrictModel):
    """`duration_s` continuous, or (with `window_s`) accumulated within any such window.
    Windowed items read `duration_s` as their evidence says; `count` is HAND_RAISE's: a
    finding when a day holds more misses than this."""

    duration_s: Seconds = Field(
        title="duration", description="seconds of the violation that make a finding"
    )
    window_s: Seconds | None = Field(
        None, title="window",
        description="seconds within which `duration_s` accumulates (none: continuous)",
    )  # fmt: skip
    count: Count | None = Field(
        None, title="misses allowed",
        description="hand_raise items: a finding when a day holds more misses than this",
    )  # fmt: skip

    @model_validator(mode="after")
    def _window_holds_duration(self) -> Trigger:
        if self.window_s is not None and self.window_s < self.duration_s:
            raise ValueError("window_s must be ≥ duration_s")
        return self


class ChecklistItem(StrictModel):
    code: str = Field(
        pattern=r"^[A-Z][A-Z0-9_]*$", title="code",
        description="the item's code, capitals and underscores (findings carry it)",
    )  # fmt: skip
    name_zh: str = Field(title="Chinese name", description="the item's name, shown first")
    name_en: str = Field(title="English name", description="the item's name beside it")
    evidence: Evidence = Field(
        title="evidence", description="what the item reads (`signal`) and in which zones"
    )
    scope: Literal["zone", "purpose"] = Field(
        "zone", title="scope",
        description="`zone`: each zone judged alone; `purpose`: all zones of the evidence's "
        "purposes form one post (the lobby manager is on post if any lobby camera sees them)",
    )  # fmt: skip
    trigger: Trigger = Field(title="trigger", description="when a violation is a finding")
    deduction: Points = Field(title="deduction", description="points off per finding")
    cap: Points = Field(title="cap", description="the most points the item takes off a day")
    enabled: bool = Field(True, title="enabled", description="false: the item is not judged")

    @model_validator(mode="after")
    def _trigger_and_scope_fit_the_evidence(self) -> ChecklistItem:
        ev, trigger = self.evidence, self.trigger
        if isinstance(ev, WindowedEvidence) and trigger.window_s is not None:
            raise ValueError(f"a {ev.signal} item takes no trigger.window_s")
        if isinstance(ev, HandRaiseEvidence) != (trigger.count is not None):
            raise ValueError("trigger.count is for hand_raise items, and they need it")
        scope = {"patrol": "purpose", "meeting": "purpose", "hand_raise": "zone"}.get(ev.signal)
        if scope is not None and self.scope != scope:
            raise ValueError(f"a {ev.signal} item is judged with scope: {scope}")
        return self

    def violated_in(self, zone: ZoneObservation) -> bool:
        """This zone's state at this sample, for this item: whether it is a zone the item
        reads (of its evidence's purposes) in the state the item's findings are made of.
        The one answer to "is the zone violated here": the rules (rules/temporal.py), a
        finding's timeline (api/timeline.py), the report's chart
        (pipeline/report/charts.zone_tracks) and the evidence overlay
        (pipeline/evidence/overlay.ZoneAnnotator) all ask it, per item. Items judged over
        windows and events (patrol, meeting, hand raise) have no such state in one sample."""
        return zone.purpose in self.evidence.purposes and self.evidence.violates(zone)

    def reading(self, zone: ZoneObservation) -> Hashable:
        """What the item reads of this zone in one sample (None: nothing): whether it is
        violated there, or for items judged over windows and events the sample's part in
        them (a guard at a point, a meeting's head count reached, an arrival's occupancy
        and the teller's hand). A change in it is a change the rules can see; any other
        change (a fourth person where three already crowd a window) is not."""
        ev = self.evidence
        if isinstance(ev, HandRaiseEvidence):
            if zone.purpose is ZonePurpose.ONE_METRE_ZONE:
                return zone.persons > 0
            return zone.hand_raised if zone.purpose in ev.purposes else None
        if zone.purpose not in ev.purposes:
            return None
        if isinstance(ev, PatrolEvidence):
            return ev.at_point(zone)
        if isinstance(ev, MeetingEvidence):
            return ev.meets(zone)
        return self.violated_in(zone)

    def cadence(self, coarse_s: float) -> dict[ZonePurpose, Cadence]:
        """The samples the item needs, per purpose it reads: dense where its shortest
        timing (trigger, visit, greeting) spans fewer than ten coarse samples; a phone
        item only while someone is in the zone; footage none (it reads the gaps)."""
        ev = self.evidence
        if isinstance(ev, FootageEvidence):
            return {}
        purposes = set(ev.purposes)
        timings = [self.trigger.duration_s]
        if isinstance(ev, PatrolEvidence):
            timings.append(ev.visit_s)
        if isinstance(ev, HandRaiseEvidence):
            timings.append(ev.within_s)
            purposes.add(ZonePurpose.ONE_METRE_ZONE)  # arrivals are read there
        if min(timings) >= 10 * coarse_s:
            need = Cadence.COARSE
        elif isinstance(ev, PhoneEvidence):
            need = Cadence.OCCUPIED
        else:
            need = Cadence.DENSE
        return dict.fromkeys(purposes, need)


class Hysteresis(StrictModel):
    """Debouncing of the share of a sliding window in which a zone is as it should be.

    A violation starts when the share falls below `start_below`, ends when it recovers to
    `end_at`; a violation that ended but was not confirmed OK (`confirm_ok_at`) before the
    share fell again continues as the same violation.
    """

    window_s: Seconds = Field(
        20.0, title="debouncing window", description="seconds of the sliding window"
    )
    confirm_ok_at: Share = Field(
        0.6, title="confirmed as it should be",
        description="the share at which an ended violation is confirmed over",
    )  # fmt: skip
    start_below: Share = Field(
        0.2, title="violation starts below", description="the share a violation starts under"
    )
    end_at: Share = Field(
        0.5, title="violation ends at", description="the share a violation ends at"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Hysteresis:
        if not self.start_below < self.end_at <= self.confirm_ok_at:
            raise ValueError("need start_below < end_at ≤ confirm_ok_at")
        return self


class Sampling(StrictModel):
    max_gap_s: Seconds = Field(
        10.0, title="longest gap",
        description="a sample stands for the time up to the next one if that is at most this "
        "far away; longer silences are unknown time",
    )  # fmt: skip
    bridge_s: Seconds = Field(
        120.0, title="bridged unknown time",
        description="a violation on both sides of unknown time up to this long is one "
        "incident (a motion-only recorder's holes): the unknown time in it is still not "
        "counted",
    )  # fmt: skip


class Checklist(StrictModel):
    hysteresis: Hysteresis = Field(
        Hysteresis(), title="debouncing", description="how a zone's state is debounced"
    )
    sampling: Sampling = Field(Sampling(), title="sampling", description="what a sample stands for")
    repeat_factor: float = Field(
        default=2.0, ge=1, le=10, title="repeat factor",
        description="deduction factor for a repeat within the period or an item the branch "
        "was told to fix",
    )  # fmt: skip
    min_coverage: Share = Field(
        default=0.9, title="minimum coverage",
        description="a check counts only if its coverage — the share of business hours each "
        "of the branch's cameras was observed, averaged over its cameras that show a zone an "
        "enabled item reads (none: 0) — reaches this; "
        "below it the check is incomplete: it keeps its findings but is left out of period "
        "means, ranks, rewards and commendations",
    )  # fmt: skip
    items: tuple[ChecklistItem, ...] = Field(title="items", description="the checklist's items")

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

    def violated_items(self, zone: ZoneObservation) -> tuple[str, ...]:
        """The codes of the enabled items this sample of a zone shows violated
        (`ChecklistItem.violated_in`, item by item)."""
        return tuple(item.code for item in self.enabled if item.violated_in(zone))

    def reading(self, zone: ZoneObservation) -> tuple:
        """What the enabled items read of this zone in one sample (`ChecklistItem.reading`)."""
        return tuple(item.reading(zone) for item in self.enabled)

    @property
    def coarse_s(self) -> float:
        """The coarse cadence: well inside `max_gap_s`, so coarse samples leave no unknown
        time between them."""
        return 0.6 * self.sampling.max_gap_s

    def cadence(self) -> dict[ZonePurpose, Cadence]:
        """Per purpose, the densest sampling any enabled item needs (pipeline/batch/worker.py
        samples each camera accordingly)."""
        order = list(Cadence)
        out: dict[ZonePurpose, Cadence] = {}
        for item in self.enabled:
            for purpose, need in item.cadence(self.coarse_s).items():
                out[purpose] = max(out.get(purpose, Cadence.COARSE), need, key=order.index)
        return out


def covers(coverage: float, min_coverage: float) -> bool:
    """A check's coverage reaches the minimum (float shares: a hair below still reaches)."""
    return coverage >= min_coverage - 1e-9


def load_checklist(path: str | Path | None = None) -> Checklist:
    """The bank's checklist file, or the default one; raises ConfigError listing problems."""
    return load_yaml(path or DEFAULT_CHECKLIST, Checklist)
