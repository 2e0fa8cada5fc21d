"""A unit's observations as column lists: some tens of kB of JSON per camera-hour, not a
row per frame, so a unit's results land in one row and a branch-day reloads in one query.
Values are kept exactly: the rules must judge what was stored as they would have judged
what was seen. A field newer than a stored unit is missing from its columns and reads back
as the field's default (`hand_raised`: None, not looked at)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from rules.intervals import Interval

FIELDS = tuple(f.name for f in dataclasses.fields(ZoneObservation))[2:]  # after id, purpose


@dataclass(frozen=True)
class Packed:
    """A unit's observations as they travel back from its worker and are stored."""

    t: list[float]  # epoch seconds, one per frame
    #: zone id → {"purpose": p, field: [value, or None where the frame lacks the zone]}
    zones: dict[str, dict[str, Any]]

    def stored(self, observed: Sequence[Interval]) -> dict:
        """The JSON of `WorkUnit.observations` (pipeline/store/models.py), with the spans
        the unit's files were read over; `unpack` reads it back."""
        spans = [[a.timestamp(), b.timestamp()] for a, b in observed]
        return {"t": self.t, "zones": self.zones, "observed": spans}

    def frames(self, camera: str, tz: tzinfo) -> list[FrameObservation]:
        """The frames again, on the branch's clock."""
        frames = []
        for i, t in enumerate(self.t):
            zones = {
                zone_id: ZoneObservation(
                    zone_id,
                    ZonePurpose(column["purpose"]),
                    **{f: column[f][i] for f in FIELDS if f in column},
                )
                for zone_id, column in self.zones.items()
                if column[FIELDS[0]][i] is not None
            }
            frames.append(FrameObservation(datetime.fromtimestamp(t, tz), camera, zones))
        return frames


def pack(frames: Sequence[FrameObservation]) -> Packed:
    """The frames' zone fields as one column each."""
    zones: dict[str, dict] = {}
    for i, frame in enumerate(frames):
        for zone_id, zone in frame.zones.items():
            column = zones.setdefault(
                zone_id,
                {"purpose": str(zone.purpose)} | {f: [None] * len(frames) for f in FIELDS},
            )
            for name in FIELDS:
                column[name][i] = getattr(zone, name)
    return Packed([round(f.t.timestamp(), 6) for f in frames], zones)


def unpack(data: dict, camera: str, tz: tzinfo) -> list[FrameObservation]:
    """The frames of a stored unit (`Packed.stored`)."""
    return Packed(data["t"], data["zones"]).frames(camera, tz)
