"""Units of work: one camera-file of one branch-day, planned from the site file.

A unit carries everything a worker needs (the file's part to read, the camera's zones,
the settings), so it runs in any process or on any node that sees the recordings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field

from detectors.config_base import StrictModel
from detectors.observations import Cadence, FrameObservation, ZonePurpose
from detectors.observer import ZoneSpec
from detectors.phone import PhoneStageSettings
from detectors.registry import weights_tag
from pipeline.footage.recordings import RecordingsError, Segment, find_segments
from pipeline.footage.sampler import SamplingSpec, plan
from pipeline.site import Site, load_site, zone_specs
from rules.calendar import BusinessDay
from rules.checklist import Checklist

#: key of the unit that stands for a camera whose recordings cannot be listed at all
RECORDINGS_KEY = "(recordings)"


class DetectorSpec(StrictModel):
    """The models and their options: the same ones `observe` takes (cli/observe.py)."""

    backend: Literal["onnx", "yolo"] = Field(
        "onnx", title="detector backend",
        description="the full-frame detector's backend (detectors/registry.py)",
    )  # fmt: skip
    weights: str | None = Field(
        None, title="detector weights",
        description="the full-frame detector's model file (None: the shipped NanoDet-m)",
    )  # fmt: skip
    conf: float = Field(
        0.35, gt=0, lt=1, title="detector confidence",
        description="boxes at least this sure are kept",
    )  # fmt: skip
    gate: bool = Field(
        True, title="motion gate",
        description="reuse detections while the zones do not change",
    )  # fmt: skip
    phone: PhoneStageSettings | None = Field(
        PhoneStageSettings(), title="phone stage",
        description="phone use from the second stage on staff hands (detectors/phone.py); "
        "None: from the full-frame detector only",
    )  # fmt: skip


@dataclass(frozen=True)
class CadenceSpec:
    """Each purpose's sampling need (rules/checklist.py `Checklist.cadence`): a camera is
    sampled at the run's rate while any of its zones needs it or what the checklist's items
    read of its zones (`Checklist.reading`) changed within `settle_s` (the checklist's
    debouncing window), else every `coarse_s`; on
    recordings whose keyframes are farther apart than the rate's interval, else on the
    keyframes, kept at most `gap_s` apart (the checklist's `max_gap_s`: samples farther
    apart leave unknown time; pipeline/footage/sampler.py). None: the coarse grid there too."""

    coarse_s: float
    settle_s: float
    needs: tuple[tuple[ZonePurpose, Cadence], ...]
    gap_s: float | None = None
    #: whose items' readings count as changes (None: any change of the zones' state)
    checklist: Checklist | None = None

    @classmethod
    def of(cls, checklist: Checklist) -> CadenceSpec:
        needs = tuple(sorted(checklist.cadence().items()))
        return cls(
            checklist.coarse_s, checklist.hysteresis.window_s, needs,
            checklist.sampling.max_gap_s, checklist,
        )  # fmt: skip

    def state(self, observation: FrameObservation) -> Hashable:
        """What of a sample a change of counts for settling (detectors/analyzer.py)."""
        if self.checklist is None:
            return observation.state()
        reading = self.checklist.reading
        return tuple((z.zone_id, reading(z)) for z in observation.zones.values())

    def __str__(self) -> str:
        needs = ",".join(f"{p}={c}" for p, c in self.needs)
        keys = "" if self.gap_s is None else f",keyframes<={self.gap_s:g}s"
        reads = "" if self.checklist is None else f",reads={_digest(self._items())}"
        return f"{self.coarse_s:g}s,settle={self.settle_s:g}s{keys}{reads}:{needs}"

    def _items(self) -> str:
        assert self.checklist is not None
        return ";".join(item.model_dump_json() for item in self.checklist.enabled)


@dataclass(frozen=True)
class UnitSettings:
    """What a unit's observations depend on besides its file. `cadence=None`: every
    camera at the full rate throughout."""

    sampling: SamplingSpec
    detector: DetectorSpec
    cadence: CadenceSpec | None = None

    @property
    def params(self) -> str:
        """Fingerprint stored with a done unit: results made otherwise are redone. Weights
        are named by path and content, so new weights under an old name redo units too.

        The phone stage's part is its settings' digest (`PhoneStageSettings.fingerprint`),
        cut to fit the column, and its weights readable. Units stored before it was a
        digest of the settings' dump hold another string there: they are redone once, as
        after any change of settings, and the re-run's findings are matched to the
        incidents already reviewed (pipeline/store/findings.py), never counted twice."""
        s, d = self.sampling, self.detector
        phone = "off"
        if d.phone is not None:
            phone = f"{d.phone.fingerprint()[:16]},weights={weights_tag(d.phone.weights)}"
        cadence = _digest(str(self.cadence)) if self.cadence else "full"
        return (
            f"rate={s.rate};max_side={s.max_side};backend={d.backend};"
            f"weights={weights_tag(d.weights)};conf={d.conf};gate={int(d.gate)};"
            f"phone={phone};cadence={cadence}"
        )


def _digest(text: str) -> str:
    """A setting string as 16 hex digits: units.params is a VARCHAR(255)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class UnitRef:
    """A unit's identity and the time it answers for, light enough to travel back."""

    branch: str
    date: date
    camera: str
    key: str  # the segment file relative to the camera's folder
    lo: datetime
    hi: datetime

    @property
    def name(self) -> str:
        return f"{self.branch}/{self.date}/{self.camera}/{self.key}"


@dataclass(frozen=True)
class Unit:
    """`error` set: the unit fails without running (unreadable file, no recordings)."""

    ref: UnitRef
    segment: Segment | None
    zones: tuple[ZoneSpec, ...]
    settings: UnitSettings
    error: str | None = None

    @property
    def seconds(self) -> float:
        """The footage it reads, which its cost follows: the night starts the longest
        units first, so no long one is left to run alone at the end."""
        return (self.ref.hi - self.ref.lo).total_seconds()


@dataclass(frozen=True)
class CameraPlan:
    camera: str
    segments: tuple[Segment, ...]
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class BranchDay:
    """One branch's date: its business day (None when closed) and its units."""

    site: Site
    site_path: Path
    date: date
    business: BusinessDay | None
    cameras: tuple[CameraPlan, ...]

    @property
    def branch(self) -> str:
        return self.site.branch.id

    @property
    def units(self) -> list[Unit]:
        return [u for c in self.cameras for u in c.units]

    def camera(self, camera_id: str) -> CameraPlan:
        return next(c for c in self.cameras if c.camera == camera_id)


def plan_branch_day(
    site_path: Path, on: date, settings: UnitSettings, checklist: Checklist | None = None
) -> BranchDay:
    """Units of every camera within business hours, from the morning meeting's window for
    cameras with a meeting zone (the rules judge only MORNING_MEETING there); none when
    the branch is closed. `checklist`: the night's, whose items the site may exempt."""
    site = load_site(site_path, checklist)
    business = site.schedule().day(on)
    if business is None:
        return BranchDay(site, site_path, on, None, ())
    cameras = []
    for camera in site.cameras:
        start = business.meeting[0] if camera.sees_meeting else business.opening
        window = (start, business.closing)
        zones = tuple(zone_specs(site, camera))
        folder = site.resolve(camera.recordings.folder)
        try:
            day = find_segments(folder, camera.file_pattern, camera.id, site.tz, on)
        except RecordingsError as exc:
            ref = UnitRef(site.branch.id, on, camera.id, RECORDINGS_KEY, *window)
            cameras.append(CameraPlan(camera.id, (), (Unit(ref, None, zones, settings, str(exc)),)))
            continue
        units = tuple(
            Unit(
                UnitRef(
                    site.branch.id,
                    on,
                    camera.id,
                    task.segment.path.relative_to(folder).as_posix(),
                    task.lo,
                    task.hi,
                ),
                task.segment,
                zones,
                settings,
                task.segment.error,
            )
            for task in plan(day.segments, window)
        )
        cameras.append(CameraPlan(camera.id, day.segments, units))
    return BranchDay(site, site_path, on, business, tuple(cameras))
