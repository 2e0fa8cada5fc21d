"""Per-zone facts of one sampled frame: what the rules judge, and all they see of pixels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ZonePurpose(StrEnum):
    TELLER_POST = "teller_post"
    COUNTER_SURFACE = "counter_surface"
    ONE_METRE_ZONE = "one_metre_zone"
    LOBBY_MANAGER = "lobby_manager"
    LOBBY = "lobby"
    GUARD = "guard"
    MEETING = "meeting"


class Cadence(StrEnum):
    """How densely a zone must be sampled for the checklist items that judge it: COARSE
    (a sample every few seconds is enough), OCCUPIED (dense while the zone's person is
    there, `present`: the uniform's wearer where one is configured, as the phone is looked
    for on them only, detectors/observer.py), DENSE (always at the run's rate)."""

    COARSE = "coarse"
    OCCUPIED = "occupied"
    DENSE = "dense"


@dataclass(frozen=True)
class ZoneObservation:
    """One zone in one frame. Fields a purpose does not use keep their defaults."""

    zone_id: str
    purpose: ZonePurpose
    persons: int = 0  # persons anchored in the zone
    present: bool = False  # staff and guard zones: someone there (uniform-matched if configured)
    phone: bool = False  # staff zones: a phone in use by a person in the zone
    phone_conf: float = 0.0
    phone_cues: str = ""  # staff zones: the cues that agreed, e.g. "det+hand+pose"
    clutter: float = 0.0  # counter surfaces: share of the surface unlike its clean reference
    clutter_objects: int = 0  # counter surfaces: clutter-class objects detected on it
    #: teller posts a one-metre zone names: a staff person's wrist above their shoulder line;
    #: None: not looked at, nobody there, or their shoulders not seen (detectors/hands.py)
    hand_raised: bool | None = None


@dataclass(frozen=True)
class FrameObservation:
    """All zones of one camera at one sampled instant (aware wall-clock time)."""

    t: datetime
    camera: str
    zones: dict[str, ZoneObservation] = field(default_factory=dict)

    def state(self) -> tuple:
        """What the rules could read differently from one sample to the next: each zone's
        persons, presence, phone and clutter (to a tenth). Confidences are left out."""
        return tuple(
            (z.zone_id, z.persons, z.present, z.phone, z.clutter_objects, round(z.clutter, 1))
            for z in self.zones.values()
        )

    def wants_dense(self, cadence: Mapping[ZonePurpose, Cadence]) -> bool:
        """Whether the next sample should come at the dense rate, given this one."""
        for zone in self.zones.values():
            need = cadence.get(zone.purpose, Cadence.COARSE)
            if need is Cadence.DENSE or (need is Cadence.OCCUPIED and zone.present):
                return True
        return False
