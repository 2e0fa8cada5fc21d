"""Zones, boxes and per-zone state drawn on a frame: for setting up sites and for evidence.

A zone turns red exactly when its observation is the state a finding is made of: the
checklist's own `ChecklistItem.violated_in` (rules/checklist.py) of the finding's item in
its evidence, of every enabled item elsewhere, so the picture and the findings never
disagree. Items judged over
windows and events (GUARD_IDLE, MORNING_MEETING, HAND_RAISE: rules/windowed.py) have no
such state in one sample, so no zone turns red for them: their zones are labelled with what
they show (the guard there, the persons at the meeting, the teller's hand up), the caption
names the item, and the finding's support picks the key frame (the guard at their one
point, the meeting zone without the meeting, a customer's unanswered arrival).
"""

from __future__ import annotations

import cv2
import numpy as np

from detectors.detections import Detections
from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from detectors.zones import PixelZone
from rules.checklist import Checklist

# BGR
ZONE_COLOURS = {
    ZonePurpose.TELLER_POST: (255, 160, 0),
    ZonePurpose.LOBBY_MANAGER: (255, 160, 0),
    ZonePurpose.COUNTER_SURFACE: (0, 200, 255),
    ZonePurpose.ONE_METRE_ZONE: (200, 0, 255),
    ZonePurpose.LOBBY: (0, 220, 0),
    ZonePurpose.GUARD: (0, 220, 0),
    ZonePurpose.MEETING: (0, 220, 0),
}
ALERT = (0, 0, 255)
GROUP_COLOURS = {"person": (80, 255, 80), "phone": (0, 0, 255), "clutter": (0, 200, 255)}


def describe(obs: ZoneObservation) -> str:
    """A short label of what a zone shows."""
    p = obs.purpose
    if p in (ZonePurpose.TELLER_POST, ZonePurpose.LOBBY_MANAGER):
        label = "manned" if obs.present else "EMPTY"
        label += f" PHONE {obs.phone_conf:.2f}" if obs.phone else ""
        return label + (" HAND UP" if obs.hand_raised else "")
    if p is ZonePurpose.COUNTER_SURFACE:
        return f"clutter {obs.clutter:.0%} objects {obs.clutter_objects}"
    if p is ZonePurpose.ONE_METRE_ZONE:
        return f"{obs.persons} in line zone"
    if p is ZonePurpose.GUARD:
        return "guard here" if obs.present else f"no guard, {obs.persons} person(s)"
    if p is ZonePurpose.MEETING:
        return f"{obs.persons} at the meeting"
    return f"{obs.persons} person(s)"


class ZoneAnnotator:
    """Draws zones with their state, detections and a caption, as the checklist judges:
    a zone is red where it shows one of the enabled items violated, or, for a finding's
    evidence, the finding's item (`item`; ChecklistItem.violated_in)."""

    def __init__(self, checklist: Checklist, item: str | None = None) -> None:
        codes = {i.code for i in checklist.items}
        self.items = (checklist.item(item),) if item in codes else checklist.enabled

    def violated(self, obs: ZoneObservation) -> bool:
        """Whether the zone is in a state one of the items' findings is made of."""
        return any(item.violated_in(obs) for item in self.items)

    def draw(
        self,
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
            label = describe(obs) if obs else ""
            colour = ALERT if obs and self.violated(obs) else ZONE_COLOURS[pz.purpose]
            width = thick * 2 if pz.zone_id == highlight else thick
            cv2.polylines(out, [pz.polygon], True, colour, width, cv2.LINE_AA)
            x, y = pz.polygon.min(axis=0)
            origin = (int(x) + 3, int(y) + int(18 * scale))
            _text(out, f"{pz.zone_id} {label}".strip(), origin, colour, scale)
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
