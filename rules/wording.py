"""How pages, exports and documents word durations, times and zones, Chinese first with
English beside: one place, so the review page, the branch page and the report agree.

Findings name their zone in three ways (rules/temporal.py, rules/windowed.py): a zone id
(`post-1`), the purposes judged over all their zones (`lobby_manager`), or a camera for
missing footage. Readers are shown the site's zone ids with the purpose beside them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from detectors.observations import ZonePurpose
from rules.calendar import ZoneRef
from rules.findings import FindingStatus

PURPOSE_NAMES: dict[str, str] = {
    ZonePurpose.TELLER_POST: "柜员岗位 teller post",
    ZonePurpose.COUNTER_SURFACE: "柜面 counter surface",
    ZonePurpose.ONE_METRE_ZONE: "一米线 one-metre zone",
    ZonePurpose.LOBBY_MANAGER: "大堂经理岗 lobby manager",
    ZonePurpose.LOBBY: "大堂 lobby",
    ZonePurpose.GUARD: "保安巡视点 guard point",
    ZonePurpose.MEETING: "晨会区 meeting",
}

#: a finding's status as every page names it (the templates through api/rendering.py, the
#: page scripts through the JSON it puts in base.html: api/static/labels.js)
STATUS_NAMES: dict[str, str] = {
    FindingStatus.PENDING: "待复核 pending",
    FindingStatus.CONFIRMED: "已确认 confirmed",
    FindingStatus.DISMISSED: "已驳回 dismissed",
}


#: why a reviewer dismissed a finding, as a code the review keeps (pipeline/store/reviews.py)
#: beside its free note, so dismissals can be counted by cause
DISMISS_REASONS: dict[str, str] = {
    "recorder_fault": "设备故障 recorder fault",
    "authorised_absence": "授权离岗 authorised absence",
    "false_detection": "误检 false detection",
    "not_staff": "非本行员工 not staff",
    "part_of_work": "业务需要 part of the work",
    "other": "其他 other",
}


def duration_text(seconds: float) -> str:
    """`16 分 0 秒 (960 s)` for 959.6 s: rounded once, to whole seconds, before splitting
    into minutes (rounding the seconds after splitting gave "15 分 60 秒")."""
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    if minutes:
        return f"{minutes} 分 {secs} 秒 ({whole} s)"
    return f"{secs} 秒 s"


def utc_text(at: datetime, seconds: bool = False) -> str:
    """A stored (UTC) time as a reader sees it, with its zone named."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "")) + " UTC"


def local_text(at: datetime, timezone: str, seconds: bool = False) -> str:
    """A stored time on a branch's wall clock, with its zone named: what the branch's
    people read everywhere (the pages, the notice), so no one converts from UTC."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return utc_text(at, seconds)
    stamp = at if at.tzinfo else at.replace(tzinfo=UTC)
    return stamp.astimezone(zone).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "")) + (
        f" ({timezone})"
    )


def purpose_label(purpose: str) -> str:
    return PURPOSE_NAMES.get(purpose, purpose)


def zone_label(zone_id: str, purpose: str) -> str:
    """`lm-desk（大堂经理岗 lobby manager）`: the chart's rows and the findings' zones."""
    return f"{zone_id}（{purpose_label(purpose)}）"


def named_zones(zones: Iterable[ZoneRef], cameras: Iterable[str], key: str) -> list[ZoneRef]:
    """The zones a finding's zone key names: the zone of that id, else the zones of its
    purposes on the finding's cameras, else anywhere; none for a camera's key."""
    zones, cameras, purposes = list(zones), set(cameras), set(key.split("+"))
    return [z for z in zones if z.zone_id == key] or [
        z for z in zones if z.purpose in purposes and z.camera in cameras
    ] or [z for z in zones if z.purpose in purposes]  # fmt: skip


def finding_zone(zones: Iterable[ZoneRef], cameras: Iterable[str], key: str) -> str:
    """A finding's zone key in the site's words: its zone ids on the finding's cameras with
    their purposes, a camera's whole picture, or (no site to read) the key as it is."""
    cameras = set(cameras)
    purposes = set(key.split("+"))
    matched = named_zones(zones, cameras, key)
    if matched:
        labels = dict.fromkeys(zone_label(z.zone_id, z.purpose) for z in matched)
        return ", ".join(sorted(labels))
    if key in cameras:
        return f"{key}（整个画面 whole picture）"
    if purposes <= set(PURPOSE_NAMES):
        return " + ".join(purpose_label(p) for p in sorted(purposes))
    return key
