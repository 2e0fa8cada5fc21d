"""The site file: one branch, its hours, cameras and zones (docs/site.md, "Setting up a branch"),
validated on load.

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
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from detectors.config_base import (
    ConfigError,
    Minutes,
    Share,
    StrictModel,
    describe,
    reference_table,
)
from detectors.observations import ZonePurpose
from detectors.observer import UNIFORMED_PURPOSES, ZoneSpec
from detectors.zones import Anchor
from pipeline.footage.names import PatternError, compile_pattern
from rules.calendar import MEETING_WINDOW, BranchSchedule, ExemptWindow, ZoneRef
from rules.checklist import Checklist

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SiteError(ConfigError):
    """A site file that cannot be used; the message lists every problem by path."""


def _clock(value: object) -> object:
    # YAML 1.1 reads an unquoted 9:30 as the number 570: refuse it rather than guess.
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
        return value.strip().zfill(5) if len(value.strip()) == 4 else value.strip()
    if isinstance(value, time):
        return value
    raise ValueError(f'times are quoted "HH:MM" strings, got {value!r}')


ClockTime = Annotated[time, BeforeValidator(_clock)]


ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class Branch(StrictModel):
    """Who the branch is and whose wall clock its recordings keep."""

    id: str = Field(
        pattern=ID, max_length=64, title="branch id", description="the bank's branch code"
    )
    name: str = Field("", title="name", description="the branch's name, as shown in pages")
    region: str = Field(
        "", title="region", description="the region whose supervisors review the branch"
    )
    timezone: str = Field(
        "Asia/Shanghai", title="time zone",
        description="IANA time zone of the branch's wall clock (file names, business hours)",
    )  # fmt: skip

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


class UniformReference(StrictModel):
    """Staff-uniform colour: a person counts for a lobby-manager or guard zone only if the
    median colour of their torso lies within `tolerance` (CIELAB distance) of it."""

    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$", title="uniform colour", description="#rrggbb")
    tolerance: float = Field(
        25.0, gt=0, le=100, title="tolerance",
        description="largest CIELAB distance of a torso's median colour from it",
    )  # fmt: skip

    @property
    def bgr(self) -> tuple[int, int, int]:
        r, g, b = (int(self.color[i : i + 2], 16) for i in (1, 3, 5))
        return b, g, r


class Zone(StrictModel):
    """A place drawn on a camera's picture, and what is judged there."""

    id: str = Field(
        pattern=ID, max_length=64, title="zone id",
        description="the same id on two cameras is one place seen from two views: the post "
        "is manned if any camera sees someone there",
    )  # fmt: skip
    purpose: ZonePurpose = Field(
        title="purpose",
        description="`teller_post` (a seat behind an open window), `lobby_manager`, "
        "`counter_surface`, `one_metre_zone` (in front of a window), `lobby`, `guard` (a "
        "point of the guard's patrol: GUARD_IDLE is judged where a site has two or more), "
        "`meeting` (where the staff stand for the morning meeting)",
    )
    polygon: tuple[tuple[Share, Share], ...] = Field(
        title="polygon",
        description="at least 3 points [x, y] as fractions of the picture's width and "
        "height (0..1), so the same zones fit the main stream and the substream; a simple "
        "polygon (no edge crosses another) enclosing an area",
    )
    anchor: Anchor | None = Field(
        None, title="anchor",
        description="which part of a person must be inside: `feet` (default for floor zones: "
        "lobby, lobby manager, one-metre line, guard, meeting), `upper_body` (default for "
        "seated posts and counters seen from behind: the upper half of the person's box overlaps the zone "
        "by ≥ 30 %), `center`",
    )  # fmt: skip
    reference: Path | None = Field(
        None, title="clean reference",
        description="counter surfaces only: a photo of the clean counter from this camera; "
        "the share of the surface unlike it (people and hands masked out, lighting drift "
        "compensated) is the clutter ratio",
    )  # fmt: skip
    uniform: UniformReference | None = Field(
        None, title="uniform",
        description="lobby-manager and guard zones only: `{color: \"#rrggbb\", tolerance: "
        "25}`; only a person whose torso matches the uniform's colour (CIELAB distance ≤ "
        "tolerance) mans the post or, at a patrol point, is the guard; without it anyone "
        "there counts",
    )  # fmt: skip
    post: str | None = Field(
        None, title="teller post",
        description="one-metre zones only: the id of the `teller_post` zone whose window "
        "this zone stands before. Its teller should raise a hand to each customer arriving "
        "here (HAND_RAISE), and that post is watched for raised hands: MoveNet on its staff "
        "every sample, a cost, so name a post only where the bank judges the item",
    )  # fmt: skip

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

    @field_validator("polygon")
    @classmethod
    def _simple(cls, value: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        """A zone encloses a place: a bow-tie or a zero-area zone judges nothing a
        person drew on purpose (its "inside" is not the place meant)."""
        if problem := polygon_problem(value):
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _purpose_specific(self) -> Zone:
        if self.reference is not None and self.purpose is not ZonePurpose.COUNTER_SURFACE:
            raise ValueError("a clean reference image is only for counter_surface zones")
        if self.uniform is not None and self.purpose not in UNIFORMED_PURPOSES:
            raise ValueError("a uniform reference is only for lobby_manager and guard zones")
        if self.post is not None and self.purpose is not ZonePurpose.ONE_METRE_ZONE:
            raise ValueError("a teller post is named only by one_metre_zone zones")
        return self


class Recordings(StrictModel):
    """Where a camera's segment files are and how their names give their start time."""

    folder: Path = Field(
        title="folder", description="the camera's recordings, relative to the site file"
    )
    pattern: str = Field(
        "{camera}_%Y%m%d_%H%M%S.mp4", title="file-name pattern",
        description="strftime pattern of the file names giving each segment's start time in "
        "the branch's time zone (`{camera}` is the camera id, `*` any characters; `%z` "
        "offsets are honoured). A name that gives the time twice gives the start, then the "
        "end (Dahua: `ch02_main_%Y%m%d%H%M%S_%Y%m%d%H%M%S.dav`; Hikvision: "
        "`*_01_R_%Y%m%d%H%M%S.mp4`). Files whose names do not match fall back to the "
        "container's `creation_time`.",
    )  # fmt: skip

    @field_validator("pattern")
    @classmethod
    def _has_time(cls, value: str) -> str:
        if "/" in value or "\\" in value:
            raise ValueError("the pattern is a file name, not a path (put folders in `folder`)")
        try:
            compile_pattern(value)
        except PatternError as exc:
            raise ValueError(str(exc)) from None
        return value


class Camera(StrictModel):
    """One camera (or one NVR channel): its view, its recordings and its zones."""

    id: str = Field(pattern=ID, max_length=64, title="camera id", description="unique in the site")
    role: Literal["counter", "lobby", "entrance", "other"] = Field(
        "other", title="role", description="the view: `counter`, `lobby`, `entrance`, `other`"
    )
    recordings: Recordings = Field(title="recordings", description="`{folder, pattern}`")
    zones: list[Zone] = Field([], title="zones", description="the places judged on this view")

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

    @property
    def sees_meeting(self) -> bool:
        """The camera watches a meeting zone: it is sampled from the meeting window's start."""
        return any(zone.purpose is ZonePurpose.MEETING for zone in self.zones)


class Exemption(StrictModel):
    """A daily window in which the listed items are not judged (a lunch hand-over)."""

    start: ClockTime = Field(alias="from", title="from", description='"HH:MM", quoted')
    end: ClockTime = Field(alias="to", title="to", description='"HH:MM", quoted')
    items: tuple[str, ...] = Field(
        min_length=1, title="items",
        description="checklist codes, e.g. `[TELLER_ABSENT]`, each an item of the checklist",
    )  # fmt: skip

    @field_validator("items")
    @classmethod
    def _known_items(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """Checked when the loader is given the checklist (a run is): an unknown code would
        silently exempt nothing."""
        known = (info.context or {}).get("items")
        unknown = [code for code in value if known is not None and code not in known]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not an item of the checklist (items: "
                f"{', '.join(sorted(known))})"
            )
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Exemption:
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


class Site(StrictModel):
    """One branch: its hours, its cameras, where their recordings are, and their zones."""

    branch: Branch = Field(title="branch", description="`{id, name, region, timezone}`")
    business_hours: dict[str, tuple[ClockTime, ClockTime]] = Field(
        title="business hours",
        description='per weekday (`mon-fri`, `sat`, `"sat,sun"`): `["09:00", "17:00"]`; a day '
        "not listed is closed. Times are quoted strings: YAML reads an unquoted 9:30 as a "
        "number, which the loader refuses",
    )
    exempt: list[Exemption] = Field(
        [], title="exempt windows", description="`{from, to, items}`: items not judged then"
    )
    meeting_window: tuple[Minutes, Minutes] = Field(
        MEETING_WINDOW, title="morning-meeting window",
        description="minutes before opening, `[from, to]`, in which the morning meeting is "
        "looked for in the `meeting` zones (MORNING_MEETING). Cameras with a meeting zone "
        "are sampled from its start; every other item, coverage and missing footage are "
        "still about business hours only",
    )  # fmt: skip
    cameras: list[Camera] = Field(title="cameras", description="at least one")
    root: Path = Field(
        Path("."), title="root", exclude=True,
        description="set by the loader: the folder the site file lives in",
    )  # fmt: skip

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

    @field_validator("meeting_window")
    @classmethod
    def _before_opening(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not value[0] > value[1] >= 0:
            raise ValueError("[from, to] minutes before opening, with from > to ≥ 0")
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
        for camera in self.cameras:
            for zone in camera.zones:
                if zone.post is not None and purposes.get(zone.post) is not ZonePurpose.TELLER_POST:
                    raise ValueError(
                        f"zone {zone.id!r} on camera {camera.id!r} names post {zone.post!r}, "
                        "which is no teller_post zone of the site"
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
            exempt=tuple(ExemptWindow(w.start, w.end, frozenset(w.items)) for w in self.exempt),
            zones=tuple(
                ZoneRef(camera.id, zone.id, zone.purpose, zone.post)
                for camera in self.cameras
                for zone in camera.zones
            ),
            meeting_before=self.meeting_window,
        )


def parse_site(
    data: object, root: Path, source: str = "<site>", checklist: Checklist | None = None
) -> Site:
    """`checklist`: the one the site is judged by; its item codes are the only ones an
    exempt window may name."""
    if not isinstance(data, dict):
        raise SiteError(f"{source}: a site file is a mapping with branch, business_hours, cameras")
    context = {"items": {item.code for item in checklist.items}} if checklist else None
    try:
        site = Site.model_validate({**data, "root": root}, context=context)
    except ValidationError as exc:
        problems = "\n  ".join(describe(exc))
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


def load_site(path: str | Path, checklist: Checklist | None = None) -> Site:
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
    return parse_site(data, path.resolve().parent, str(path), checklist)


def polygon_problem(points: tuple[tuple[float, float], ...]) -> str | None:
    """Why a polygon is no zone: it encloses no area, or an edge crosses or folds back on
    another (a bow-tie); None for a simple polygon."""
    n = len(points)
    for i in range(n):
        if tuple(points[i]) == tuple(points[i - 1]):
            return f"point {i} repeats point {(i - 1) % n}"
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            (a, b), (c, d) = edges[i], edges[j]
            if j == i + 1 or (i == 0 and j == n - 1):  # neighbours share one point
                shared, p, q = (b, a, d) if j == i + 1 else (a, b, c)
                if _cross(p, shared, q) == 0 and _dot(p, shared, q) > 0:
                    return f"edges {i} and {j} fold back on each other"
            elif _touch(a, b, c, d):
                return (
                    f"edges {i} and {j} cross (a bow-tie): list the points in order round the zone"
                )
    area = abs(sum(_cross(points[i], points[(i + 1) % n], (0.0, 0.0)) for i in range(n))) / 2
    if area < MIN_ZONE_AREA:
        return f"encloses no area ({area:.2g} of the picture: its points lie on one line)"
    return None


#: a zone smaller than a millionth of the picture (a couple of pixels of 1080p) is none
MIN_ZONE_AREA = 1e-6


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _dot(a: tuple[float, float], o: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[0] - o[0]) + (a[1] - o[1]) * (b[1] - o[1])


def _touch(a, b, c, d) -> bool:
    """Segments ab and cd share a point (crossing, touching or overlapping)."""
    d1, d2, d3, d4 = _cross(c, d, a), _cross(c, d, b), _cross(a, b, c), _cross(a, b, d)
    if ((d1 > 0) != (d2 > 0) and d1 != 0 and d2 != 0) and (
        (d3 > 0) != (d4 > 0) and d3 != 0 and d4 != 0
    ):
        return True

    def on(p, q, r) -> bool:  # r on segment pq, given collinear
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(
            p[1], q[1]
        )

    return (
        (d1 == 0 and on(c, d, a)) or (d2 == 0 and on(c, d, b))
        or (d3 == 0 and on(a, b, c)) or (d4 == 0 and on(a, b, d))
    )  # fmt: skip


def judged_cameras(site: Site, checklist: Checklist) -> tuple[str, ...]:
    """The cameras showing a zone that some enabled item of the checklist reads: what a
    check judges, and so what its coverage is the share of (pipeline/batch/judge.py). A
    site with none is refused by the night (pipeline/batch/night.plan_night)."""
    read = checklist.cadence().keys()
    return tuple(c.id for c in site.cameras if any(z.purpose in read for z in c.zones))


def zone_specs(site: Site, camera: Camera) -> list[ZoneSpec]:
    """The camera's zones as the observer takes them, with reference images read; teller
    posts a one-metre zone names are watched for raised hands."""
    named = {zone.post for c in site.cameras for zone in c.zones if zone.post is not None}
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
                hand_raise=zone.id in named,
            )
        )
    return specs


#: the site file's sections in reading order, with their key prefix in the file
REFERENCE = (
    ("", Site), ("branch.", Branch), ("exempt[].", Exemption), ("cameras[].", Camera),
    ("cameras[].recordings.", Recordings), ("cameras[].zones[].", Zone),
    ("cameras[].zones[].uniform.", UniformReference),
)  # fmt: skip


def site_reference() -> str:
    """The site file's keys as a Markdown table, from the models' own titles and
    descriptions (docs/site.md's key table is this table; tests keep them equal)."""
    return reference_table(REFERENCE)
