"""The site file: one branch, its hours, cameras and zones (SPEC §4), validated on load.

Every error names its place in the file (`cameras[2].zones[0].polygon: point 3 is outside
0..1`) so the person who drew the zones can fix the file without reading code.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cv2
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from detectors.observations import ZonePurpose
from detectors.observer import ZoneSpec
from detectors.zones import DEFAULT_ANCHOR, Anchor
from rules.calendar import BranchSchedule, ZoneRef
from rules.calendar import ExemptWindow as RulesExemptWindow

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STRFTIME_TIME_CODES = ("%H", "%M", "%S", "%s")


class SiteError(Exception):
    """A site file that cannot be used; the message lists every problem by path."""


def _clock(value: object) -> object:
    # YAML 1.1 reads an unquoted 9:30 as the number 570: refuse it rather than guess.
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
        return value.strip().zfill(5) if len(value.strip()) == 4 else value.strip()
    if isinstance(value, time):
        return value
    raise ValueError(f'times are quoted "HH:MM" strings, got {value!r}')


ClockTime = Annotated[time, BeforeValidator(_clock)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Branch(_Model):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
    name: str = ""
    region: str = ""
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            ) from None
        return value


class UniformReference(_Model):
    """Staff-uniform colour: a person counts for a lobby-manager zone only if the median
    colour of their torso lies within `tolerance` (CIELAB distance) of it."""

    color: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
    tolerance: Annotated[float, Field(gt=0, le=100)] = 25.0

    @property
    def bgr(self) -> tuple[int, int, int]:
        r, g, b = (int(self.color[i : i + 2], 16) for i in (1, 3, 5))
        return b, g, r


class Zone(_Model):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
    purpose: ZonePurpose
    polygon: tuple[tuple[float, float], ...]
    anchor: Anchor | None = None
    reference: Path | None = None
    uniform: UniformReference | None = None

    @field_validator("polygon", mode="before")
    @classmethod
    def _points(cls, value: object) -> object:
        if not isinstance(value, list | tuple) or len(value) < 3:
            raise ValueError("needs at least 3 points [x, y]")
        for i, point in enumerate(value):
            if not (isinstance(point, list | tuple) and len(point) == 2):
                raise ValueError(f"point {i} is not a pair [x, y]")
            if not all(isinstance(c, int | float) and 0.0 <= c <= 1.0 for c in point):
                raise ValueError(
                    f"point {i} is outside 0..1 (coordinates are fractions of the image)"
                )
        return value

    @model_validator(mode="after")
    def _purpose_specific(self) -> Zone:
        if self.reference is not None and self.purpose is not ZonePurpose.COUNTER_SURFACE:
            raise ValueError("a clean reference image is only for counter_surface zones")
        if self.uniform is not None and self.purpose is not ZonePurpose.LOBBY_MANAGER:
            raise ValueError("a uniform reference is only for lobby_manager zones")
        return self

    @property
    def effective_anchor(self) -> Anchor:
        return self.anchor or DEFAULT_ANCHOR[self.purpose]


class Recordings(_Model):
    folder: Path
    pattern: str = "{camera}_%Y%m%d_%H%M%S.mp4"

    @field_validator("pattern")
    @classmethod
    def _has_time(cls, value: str) -> str:
        if "/" in value or "\\" in value:
            raise ValueError("the pattern is a file name, not a path (put folders in `folder`)")
        if not any(code in value for code in STRFTIME_TIME_CODES):
            raise ValueError("the pattern must give the start time (e.g. %Y%m%d_%H%M%S)")
        return value


class Camera(_Model):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
    role: Literal["counter", "lobby", "entrance", "other"] = "other"
    recordings: Recordings
    zones: list[Zone] = []

    @model_validator(mode="after")
    def _unique_zones(self) -> Camera:
        seen: set[str] = set()
        for zone in self.zones:
            if zone.id in seen:
                raise ValueError(f"zone id {zone.id!r} appears twice in this camera")
            seen.add(zone.id)
        return self

    @property
    def file_pattern(self) -> str:
        return self.recordings.pattern.replace("{camera}", self.id)


class ExemptWindow(_Model):
    start: Annotated[ClockTime, Field(alias="from")]
    end: Annotated[ClockTime, Field(alias="to")]
    items: Annotated[tuple[str, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _ordered(self) -> ExemptWindow:
        if self.end <= self.start:
            raise ValueError("`to` must be after `from`")
        return self


def _parse_days(key: str) -> list[int]:
    days: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        if m := re.fullmatch(r"([a-z]{3})-([a-z]{3})", part):
            a, b = m.groups()
            if a not in WEEKDAYS or b not in WEEKDAYS:
                raise ValueError(f"unknown weekday in {key!r} (use {', '.join(WEEKDAYS)})")
            days.extend(range(WEEKDAYS.index(a), WEEKDAYS.index(b) + 1))
        elif part in WEEKDAYS:
            days.append(WEEKDAYS.index(part))
        else:
            raise ValueError(f"unknown weekday {part!r} in {key!r} (use {', '.join(WEEKDAYS)})")
    return days


class Site(_Model):
    branch: Branch
    business_hours: dict[str, tuple[ClockTime, ClockTime]]
    exempt: list[ExemptWindow] = []
    cameras: list[Camera]
    #: folder the site file lives in; relative paths in the file are relative to it
    root: Path = Path(".")

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, value: dict[str, tuple[time, time]]) -> dict[str, tuple[time, time]]:
        covered: dict[int, str] = {}
        for key, (opens, closes) in value.items():
            if closes <= opens:
                raise ValueError(f"{key}: closing time must be after opening time")
            for day in _parse_days(key):
                if day in covered:
                    raise ValueError(
                        f"{WEEKDAYS[day]} is given twice ({covered[day]!r} and {key!r})"
                    )
                covered[day] = key
        return value

    @model_validator(mode="after")
    def _cameras(self) -> Site:
        if not self.cameras:
            raise ValueError("a site needs at least one camera")
        ids = [c.id for c in self.cameras]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"camera ids must be unique: {', '.join(dupes)} repeated")
        purposes: dict[str, ZonePurpose] = {}
        for camera in self.cameras:
            for zone in camera.zones:
                # The same zone id on several cameras is one place seen from several views.
                if purposes.setdefault(zone.id, zone.purpose) is not zone.purpose:
                    raise ValueError(
                        f"zone {zone.id!r} has purpose {zone.purpose} on camera {camera.id!r} "
                        f"but {purposes[zone.id]} elsewhere"
                    )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.branch.timezone)

    def camera(self, camera_id: str) -> Camera:
        for camera in self.cameras:
            if camera.id == camera_id:
                return camera
        raise SiteError(
            f"no camera {camera_id!r} in site {self.branch.id}; "
            f"cameras: {', '.join(c.id for c in self.cameras)}"
        )

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else (self.root / path).resolve()

    def schedule(self) -> BranchSchedule:
        """What the rules need of the site: hours per weekday, exempt windows, zones."""
        return BranchSchedule(
            branch=self.branch.id,
            region=self.branch.region,
            timezone=self.branch.timezone,
            hours={
                day: span for key, span in self.business_hours.items() for day in _parse_days(key)
            },
            exempt=tuple(
                RulesExemptWindow(w.start, w.end, frozenset(w.items)) for w in self.exempt
            ),
            zones=tuple(
                ZoneRef(camera.id, zone.id, zone.purpose)
                for camera in self.cameras
                for zone in camera.zones
            ),
        )


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _format_errors(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p not in ("function-after", "function-before"))
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        lines.append(f"{_format_loc(loc) or '(top level)'}: {message}")
    return lines


def parse_site(data: object, root: Path, source: str = "<site>") -> Site:
    if not isinstance(data, dict):
        raise SiteError(f"{source}: a site file is a mapping with branch, business_hours, cameras")
    try:
        site = Site.model_validate({**data, "root": root})
    except ValidationError as exc:
        problems = "\n  ".join(_format_errors(exc))
        raise SiteError(f"{source}: invalid site file:\n  {problems}") from None
    missing = [
        f"cameras[{ci}].zones[{zi}].reference: file not found: {zone.reference}"
        for ci, camera in enumerate(site.cameras)
        for zi, zone in enumerate(camera.zones)
        if zone.reference is not None and not site.resolve(zone.reference).is_file()
    ]
    if missing:
        raise SiteError(f"{source}: invalid site file:\n  " + "\n  ".join(missing))
    return site


def load_site(path: str | Path) -> Site:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SiteError(f"{path}: site file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteError(f"{path}: cannot read site file: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SiteError(f"{path}: not valid YAML: {exc}") from None
    return parse_site(data, path.resolve().parent, str(path))


def zone_specs(site: Site, camera: Camera) -> list[ZoneSpec]:
    """The camera's zones as the observer takes them, with reference images read."""
    specs = []
    for zone in camera.zones:
        reference = None
        if zone.reference is not None:
            path = site.resolve(zone.reference)
            reference = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if reference is None:
                raise SiteError(
                    f"camera {camera.id}, zone {zone.id}: {path} is not a readable image"
                )
        specs.append(
            ZoneSpec(
                zone_id=zone.id,
                purpose=zone.purpose,
                polygon=zone.polygon,
                anchor=zone.anchor,
                reference=reference,
                uniform_bgr=zone.uniform.bgr if zone.uniform else None,
                uniform_tolerance=zone.uniform.tolerance if zone.uniform else 25.0,
            )
        )
    return specs
