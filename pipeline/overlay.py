"""Zones, boxes and per-zone state drawn on a frame: for setting up sites and for evidence."""

from __future__ import annotations

import cv2
import numpy as np

from detectors.detections import Detections
from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from detectors.zones import PixelZone

# BGR
ZONE_COLOURS = {
    ZonePurpose.TELLER_POST: (255, 160, 0),
    ZonePurpose.LOBBY_MANAGER: (255, 160, 0),
    ZonePurpose.COUNTER_SURFACE: (0, 200, 255),
    ZonePurpose.ONE_METRE_ZONE: (200, 0, 255),
    ZonePurpose.LOBBY: (0, 220, 0),
    ZonePurpose.GUARD: (0, 220, 0),
}
ALERT = (0, 0, 255)
GROUP_COLOURS = {"person": (80, 255, 80), "phone": (0, 0, 255), "clutter": (0, 200, 255)}


def zone_state(obs: ZoneObservation) -> tuple[str, bool]:
    """A short label of a zone's state, and whether it is the state a finding is made of."""
    p = obs.purpose
    if p in (ZonePurpose.TELLER_POST, ZonePurpose.LOBBY_MANAGER):
        label = "manned" if obs.present else "EMPTY"
        if obs.phone:
            label += f" PHONE {obs.phone_conf:.2f}"
        return label, (not obs.present) or obs.phone
    if p is ZonePurpose.COUNTER_SURFACE:
        return f"clutter {obs.clutter:.0%} objects {obs.clutter_objects}", obs.clutter_objects > 0
    if p is ZonePurpose.ONE_METRE_ZONE:
        return f"{obs.persons} in line zone", obs.persons > 1
    return f"{obs.persons} person(s)", False


def draw_overlay(
    frame: np.ndarray,
    zones: list[PixelZone],
    observation: FrameObservation | None,
    detections: Detections | None,
    caption: str = "",
    highlight: str | None = None,
) -> np.ndarray:
    """`highlight`: the zone a finding is about, drawn twice as thick so it stands out."""
    out = frame.copy()
    scale = max(out.shape[1] / 960, 0.5)
    thick = max(int(round(2 * scale)), 1)
    for pz in zones:
        obs = observation.zones.get(pz.zone_id) if observation else None
        label, alert = zone_state(obs) if obs else ("", False)
        colour = ALERT if alert else ZONE_COLOURS[pz.purpose]
        width = thick * 2 if pz.zone_id == highlight else thick
        cv2.polylines(out, [pz.polygon], True, colour, width, cv2.LINE_AA)
        x, y = pz.polygon.min(axis=0)
        _text(
            out,
            f"{pz.zone_id} {label}".strip(),
            (int(x) + 3, int(y) + int(18 * scale)),
            colour,
            scale,
        )
    if detections is not None:
        for group, colour in GROUP_COLOURS.items():
            sel = detections.in_group(group)
            for box, conf, name in zip(sel.xyxy, sel.confidence, sel.names, strict=True):
                x1, y1, x2, y2 = (int(v) for v in box)
                cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
                _text(out, f"{name} {conf:.2f}", (x1, max(y1 - 4, 12)), colour, scale * 0.8)
    if caption:
        _text(out, caption, (8, out.shape[0] - 10), (255, 255, 255), scale)
    return out


def _text(img: np.ndarray, text: str, org: tuple[int, int], colour, scale: float) -> None:
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale
    cv2.putText(img, text, org, font, size, (0, 0, 0), max(int(3 * scale), 2), cv2.LINE_AA)
    cv2.putText(img, text, org, font, size, colour, max(int(scale), 1), cv2.LINE_AA)
