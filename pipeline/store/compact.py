"""A unit's observations as column lists: some tens of kB of JSON per camera-hour, not a
row per frame, so a unit's results land in one row and a branch-day reloads in one query.
Values are kept exactly: the rules must judge what was stored as they would have judged
what was seen. A field newer than a stored unit is missing from its columns and reads back
as the field's default (`hand_raised`: None, not looked at)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, tzinfo

from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose

FIELDS = tuple(f.name for f in dataclasses.fields(ZoneObservation))[2:]  # after id, purpose


def pack(frames: Sequence[FrameObservation]) -> dict:
    """{"t": [epoch s], "zones": {zone: {"purpose": p, field: [value or None]}}}."""
    zones: dict[str, dict] = {}
    for i, frame in enumerate(frames):
        for zone_id, zone in frame.zones.items():
            column = zones.setdefault(
                zone_id,
                {"purpose": str(zone.purpose)} | {f: [None] * len(frames) for f in FIELDS},
            )
            for name in FIELDS:
                column[name][i] = getattr(zone, name)
    return {"t": [round(f.t.timestamp(), 6) for f in frames], "zones": zones}


def unpack(data: dict, camera: str, tz: tzinfo) -> list[FrameObservation]:
    frames = []
    for i, t in enumerate(data["t"]):
        zones = {
            zone_id: ZoneObservation(
                zone_id,
                ZonePurpose(column["purpose"]),
                **{f: column[f][i] for f in FIELDS if f in column},
            )
            for zone_id, column in data["zones"].items()
            if column[FIELDS[0]][i] is not None
        }
        frames.append(FrameObservation(datetime.fromtimestamp(t, tz), camera, zones))
    return frames
