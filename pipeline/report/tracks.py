"""Each zone's states over a day, sample by sample: what the report's chart draws and the
finding page's timeline shows, computed once here (no plotting library needed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from detectors.observations import FrameObservation, ZoneObservation
from rules.checklist import Checklist


@dataclass(frozen=True)
class Band:
    start: datetime
    end: datetime
    label: str = ""


@dataclass(frozen=True)
class ZoneTrack:
    """What the chart draws for one zone of one camera."""

    camera: str
    zone_id: str
    states: Sequence[tuple[datetime, datetime, bool]]  # (from, to, violating)
    gaps: Sequence[Band]
    findings: Sequence[Band]


def zone_tracks(
    frames: Sequence[FrameObservation],
    checklist: Checklist,
    gaps: dict[str, list[Band]],
    findings: dict[tuple[str, str], list[Band]],
    max_gap_s: float,
) -> list[ZoneTrack]:
    """Per (camera, zone): sample states held until the next sample (at most max_gap_s)."""
    by_zone: dict[tuple[str, str], list[tuple[datetime, ZoneObservation]]] = {}
    for frame in sorted(frames, key=lambda f: f.t):
        for zone_id, zone in frame.zones.items():
            by_zone.setdefault((frame.camera, zone_id), []).append((frame.t, zone))
    tracks = []
    for (camera, zone_id), samples in sorted(by_zone.items()):
        items = [i for i in checklist.enabled if samples[0][1].purpose in i.evidence.purposes]
        states = []
        for (t, zone), nxt in zip(samples, [*samples[1:], None], strict=True):
            end = nxt[0] if nxt and (nxt[0] - t).total_seconds() <= max_gap_s else t
            violating = any(i.evidence.violates(zone) for i in items)
            states.append((t, max(end, t), violating))
        tracks.append(
            ZoneTrack(
                camera, zone_id, states, gaps.get(camera, []), findings.get((camera, zone_id), [])
            )
        )
    return tracks
