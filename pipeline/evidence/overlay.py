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

Labels are burned in Chinese first, English beside, in the shipped CJK font
(pipeline/fonts.py) at a size proportional to the frame's height, so a supervisor reads
them on a phone as on a wall screen; each label's bitmap is kept once drawn (labels
repeat frame after frame), so drawing them costs a blend of a few small patches.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from detectors.detections import Detections
from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from detectors.zones import PixelZone
from pipeline.fonts import FONT_FILES
from rules.checklist import Checklist

#: a label's height as a share of the frame's (a 720-line frame: 24 px), and the least
#: that keeps a hanzi's strokes apart
LABEL_SHARE = 1 / 30
MIN_LABEL_PX = 14
#: labels drawn and kept at once: zones, detections and the captions of a night's clips
KEPT_LABELS = 512

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
WHITE = (255, 255, 255)
GROUP_COLOURS = {"person": (80, 255, 80), "phone": (0, 0, 255), "clutter": (0, 200, 255)}
GROUP_NAMES = {"person": "人", "phone": "手机", "clutter": "杂物"}


def describe(obs: ZoneObservation) -> str:
    """A short label of what a zone shows, Chinese first, English beside."""
    p = obs.purpose
    if p in (ZonePurpose.TELLER_POST, ZonePurpose.LOBBY_MANAGER):
        label = "有人 manned" if obs.present else "空岗 EMPTY"
        label += f" 手机 PHONE {obs.phone_conf:.2f}" if obs.phone else ""
        return label + (" 举手 HAND UP" if obs.hand_raised else "")
    if p is ZonePurpose.COUNTER_SURFACE:
        return f"杂乱 clutter {obs.clutter:.0%} 物品 objects {obs.clutter_objects}"
    if p is ZonePurpose.ONE_METRE_ZONE:
        return f"一米线内 {obs.persons} 人 in line zone"
    if p is ZonePurpose.GUARD:
        if obs.present:
            return "保安在岗 guard here"
        return f"无保安 no guard, {obs.persons} 人 person(s)"
    if p is ZonePurpose.MEETING:
        return f"晨会 {obs.persons} 人 at the meeting"
    return f"{obs.persons} 人 person(s)"


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
        px = label_px(out.shape[0])
        for pz in zones:
            obs = observation.zones.get(pz.zone_id) if observation else None
            label = describe(obs) if obs else ""
            colour = ALERT if obs and self.violated(obs) else ZONE_COLOURS[pz.purpose]
            width = thick * 2 if pz.zone_id == highlight else thick
            cv2.polylines(out, [pz.polygon], True, colour, width, cv2.LINE_AA)
            x, y = pz.polygon.min(axis=0)
            put_label(out, f"{pz.zone_id} {label}".strip(), (int(x) + 3, int(y) + 3), colour, px)
        if detections is not None:
            for group, colour in GROUP_COLOURS.items():
                sel = detections.in_group(group)
                for box, conf, name in zip(sel.xyxy, sel.confidence, sel.names, strict=True):
                    x1, y1, x2, y2 = (int(v) for v in box)
                    cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
                    text = f"{GROUP_NAMES[group]} {name} {conf:.2f}"
                    small = max(round(px * 0.8), MIN_LABEL_PX)
                    put_label(out, text, (x1, max(y1 - small - 6, 0)), colour, small)
        if caption:
            put_label(out, caption, (8, out.shape[0] - px - 10), WHITE, px)
        return out


def label_px(height: int) -> int:
    """The labels' size on a frame `height` pixels high."""
    return max(round(height * LABEL_SHARE), MIN_LABEL_PX)


@lru_cache(maxsize=8)
def label_font(px: int) -> ImageFont.FreeTypeFont:
    """The shipped CJK font, bold, at `px`; loaded once a size (Pillow reads the WOFF2)."""
    return ImageFont.truetype(str(FONT_FILES[700]), px)


@lru_cache(maxsize=KEPT_LABELS)
def label_masks(text: str, px: int) -> tuple[np.ndarray, np.ndarray]:
    """`text`'s glyphs and their dark outline as coverage masks (0..1), same shape."""
    font = label_font(px)
    stroke = max(px // 10, 1)
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    size = (max(right - left, 1), max(bottom - top, 1))
    masks = []
    for width in (stroke, 0):
        image = Image.new("L", size, 0)
        ImageDraw.Draw(image).text((-left, -top), text, 255, font, stroke_width=width)
        masks.append(np.asarray(image, np.float32)[..., None] / 255.0)
    outline, glyphs = masks
    return glyphs, outline


def put_label(
    img: np.ndarray, text: str, org: tuple[int, int], colour, px: int
) -> tuple[int, int, int, int]:
    """Burn `text` into `img` (BGR) with its top left at `org`, in `colour` outlined in
    black so it reads on any background; returns the box it covers, cut to the frame."""
    glyphs, outline = label_masks(text, px)
    h, w = glyphs.shape[:2]
    x, y = max(org[0], 0), max(org[1], 0)
    x2, y2 = min(x + w, img.shape[1]), min(y + h, img.shape[0])
    if x2 <= x or y2 <= y:
        return (x, y, x, y)
    g, o = glyphs[: y2 - y, : x2 - x], outline[: y2 - y, : x2 - x]
    region = img[y:y2, x:x2].astype(np.float32) * (1.0 - o)
    region = region * (1.0 - g) + np.asarray(colour, np.float32) * g
    img[y:y2, x:x2] = region.astype(np.uint8)
    return (x, y, x2, y2)
