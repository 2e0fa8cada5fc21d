"""From one frame's detections to per-zone facts (ZoneObservation) for the rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import Field

from detectors.config_base import Share, StrictModel
from detectors.detections import Detections
from detectors.frame import CropSource, NativePixels
from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from detectors.zones import Anchor, PixelZone, upper_body_share

if TYPE_CHECKING:
    from detectors.hands import HandStage
    from detectors.phone import PhoneStage, PhoneVerdict

STAFF_PURPOSES = frozenset({ZonePurpose.TELLER_POST, ZonePurpose.LOBBY_MANAGER})
#: zones whose person counts only in the staff uniform, where one is configured
UNIFORMED_PURPOSES = frozenset({ZonePurpose.LOBBY_MANAGER, ZonePurpose.GUARD})
#: zones that say whether their person is there (`present`)
PRESENCE_PURPOSES = STAFF_PURPOSES | UNIFORMED_PURPOSES


@dataclass(frozen=True)
class ZoneSpec:
    """A zone as the observer needs it; the site file supplies these."""

    zone_id: str
    purpose: ZonePurpose
    polygon: tuple[tuple[float, float], ...]
    anchor: Anchor | None = None
    reference: np.ndarray | None = None  # clean counter surface, BGR, any size
    uniform_bgr: tuple[int, int, int] | None = None
    uniform_tolerance: float = 25.0
    #: teller posts a one-metre zone names: read raised hands (HAND_RAISE)
    hand_raise: bool = False


@dataclass(frozen=True)
class FrameResult:
    """One analysed frame: its zones' facts, the detections they were read from, and the
    phone stage's verdicts per staff zone, box and raw score included, which the zone facts
    keep only as phone / confidence / cues. The verdicts ride on the frame (as
    supervision's `Detections.data` carries per-box extras) so that the labelling
    candidates (pipeline/batch/candidates.py) take them from here, not from the observer."""

    observation: FrameObservation
    detections: Detections
    detected: bool  # False when the motion gate reused the previous detections
    #: zone id → the phone stage's verdict made on this frame; none when it was not asked
    #: (no phone stage, or the gate reused the detections and the last verdicts stand)
    phone: Mapping[str, PhoneVerdict] = field(default_factory=dict)


class ObserverSettings(StrictModel):
    """The thresholds that turn detections into zone facts."""

    person_conf: float = Field(
        0.4, gt=0, lt=1, title="person confidence",
        description="a person box at least this sure is a person in a zone",
    )  # fmt: skip
    phone_conf: float = Field(
        0.25, gt=0, lt=1, title="phone confidence",
        description="a full-frame phone box at least this sure is a phone (without the phone "
        "stage)",
    )  # fmt: skip
    clutter_conf: float = Field(
        0.3, gt=0, lt=1, title="clutter confidence",
        description="an object box at least this sure counts on a counter surface",
    )  # fmt: skip
    clutter_pixel_delta: float = Field(
        28.0, gt=0, le=255, title="clutter pixel change",
        description="grey-level difference (after lighting compensation) that counts a pixel "
        "as changed",
    )  # fmt: skip
    phone_overlap: Share = Field(
        0.5, title="phone on the body",
        description="a phone must lie this much inside a person's upper body to count as in use",
    )  # fmt: skip


def _lab(bgr: np.ndarray) -> np.ndarray:
    return (
        cv2.cvtColor(bgr.reshape(1, 1, 3).astype(np.uint8), cv2.COLOR_BGR2LAB)
        .reshape(3)
        .astype(np.float32)
    )


class ZoneObserver:
    """Turns (frame, detections) into one camera's FrameObservation.

    With a `phone_stage`, phone use in staff zones is the second stage's verdict on windows
    around the hands of the zone's staff (detectors/phone.py), uniformed staff only where a
    zone has a uniform; without one, a full-frame phone box on a
    staff member's upper body, which at CCTV distances finds almost nothing. With a
    `hand_stage`, teller posts marked `hand_raise` say whether the teller's hand is up
    (detectors/hands.py).
    """

    def __init__(
        self,
        camera: str,
        zones: list[ZoneSpec],
        settings: ObserverSettings | None = None,
        phone_stage: PhoneStage | None = None,
        hand_stage: HandStage | None = None,
    ) -> None:
        self.camera = camera
        self.zones = zones
        self.settings = settings or ObserverSettings()
        self.phone_stage = phone_stage
        self.hand_stage = hand_stage
        self._size: tuple[int, int] | None = None
        self._pixel_zones: list[PixelZone] = []
        self._references: dict[str, np.ndarray] = {}
        self._phone_fields: dict[str, dict] = {}
        self._hands: dict[str, bool | None] = {}

    def pixel_zones(self, frame_size: tuple[int, int]) -> list[PixelZone]:
        if frame_size != self._size:
            self._size = frame_size
            self._pixel_zones = [
                PixelZone.from_normalized(z.zone_id, z.purpose, z.polygon, frame_size, z.anchor)
                for z in self.zones
            ]
            self._references = {
                z.zone_id: _grey(cv2.resize(z.reference, frame_size, interpolation=cv2.INTER_AREA))
                for z in self.zones
                if z.reference is not None
            }
        return self._pixel_zones

    def observe(
        self,
        t: datetime,
        frame: np.ndarray,
        detections: Detections,
        fresh: bool = True,
        native: NativePixels | None = None,
    ) -> FrameObservation:
        """The zones' facts of `observe_frame`, alone."""
        return self.observe_frame(t, frame, detections, fresh, native).observation

    def observe_frame(
        self,
        t: datetime,
        frame: np.ndarray,
        detections: Detections,
        fresh: bool = True,
        native: NativePixels | None = None,
    ) -> FrameResult:
        """`fresh=False` says the zones look as when `detections` were made (the motion gate
        reused them): the phone and hand stages' last verdicts per zone stand, unrecomputed.
        `native`: the frame at the recording's resolution, where the stages cut crops."""
        h, w = frame.shape[:2]
        verdicts: dict[str, PhoneVerdict] = {}
        crops = CropSource(frame, native)
        s = self.settings
        persons = detections.in_group("person").with_min_confidence(s.person_conf)
        phones = detections.in_group("phone").with_min_confidence(s.phone_conf)
        clutter = detections.in_group("clutter").with_min_confidence(s.clutter_conf)
        zones = {}
        for spec, pz in zip(self.zones, self.pixel_zones((w, h)), strict=True):
            members = persons[pz.trigger(persons)]
            fields: dict = {"persons": len(members)}
            staff = self._uniformed(frame, members, spec)
            if spec.purpose in PRESENCE_PURPOSES:
                fields["present"] = len(staff) > 0
            if spec.purpose in STAFF_PURPOSES:
                if spec.hand_raise and self.hand_stage is not None:
                    if fresh or spec.zone_id not in self._hands:
                        self._hands[spec.zone_id] = self.hand_stage.raised(crops, staff)
                    fields["hand_raised"] = self._hands[spec.zone_id]
                if self.phone_stage is not None:
                    if fresh or spec.zone_id not in self._phone_fields:
                        ev = self.phone_stage.assess(t, crops, spec.zone_id, staff)
                        verdicts[spec.zone_id] = ev
                        self._phone_fields[spec.zone_id] = {
                            "phone": ev.phone, "phone_conf": ev.conf, "phone_cues": ev.cue_text
                        }  # fmt: skip
                    fields |= self._phone_fields[spec.zone_id]
                else:
                    fields["phone_conf"] = self._phone_in_use(phones, staff)
                    fields["phone"] = fields["phone_conf"] > 0
            elif spec.purpose is ZonePurpose.COUNTER_SURFACE:
                fields["clutter"] = self._clutter_ratio(frame, pz, persons)
                # An object stands on the surface: its base, not its bulk, is in the zone.
                b = clutter.xyxy
                bases = np.stack([(b[:, 0] + b[:, 2]) / 2, b[:, 3] - 0.05 * (b[:, 3] - b[:, 1])], 1)
                fields["clutter_objects"] = int(pz.contains(bases).sum())
            zones[spec.zone_id] = ZoneObservation(spec.zone_id, spec.purpose, **fields)
        observation = FrameObservation(t=t, camera=self.camera, zones=zones)
        return FrameResult(observation, detections, fresh, verdicts)

    def _uniformed(self, frame: np.ndarray, members: Detections, spec: ZoneSpec) -> Detections:
        """Members wearing the staff uniform, when the zone has a uniform reference."""
        if spec.uniform_bgr is None or spec.purpose not in UNIFORMED_PURPOSES:
            return members
        target = _lab(np.array(spec.uniform_bgr))
        keep = []
        for box in members.xyxy:
            x1, y1, x2, y2 = box
            bw, bh = x2 - x1, y2 - y1
            # Torso: the middle of the box, clear of head, arms and legs.
            torso = frame[
                int(max(y1 + 0.2 * bh, 0)) : int(y1 + 0.5 * bh),
                int(max(x1 + 0.3 * bw, 0)) : int(x1 + 0.7 * bw),
            ]
            if torso.size == 0:
                keep.append(False)
                continue
            median = np.median(torso.reshape(-1, 3), axis=0)
            keep.append(float(np.linalg.norm(_lab(median) - target)) <= spec.uniform_tolerance)
        return members[np.array(keep, bool)]

    def _phone_in_use(self, phones: Detections, staff: Detections) -> float:
        """Best confidence of a phone held in front of a staff member's upper body."""
        best = 0.0
        for pbox, conf in zip(phones.xyxy, phones.confidence, strict=True):
            if any(
                upper_body_share(pbox, person) >= self.settings.phone_overlap
                for person in staff.xyxy
            ):
                best = max(best, float(conf))
        return best

    def _clutter_ratio(self, frame: np.ndarray, pz: PixelZone, persons: Detections) -> float:
        """Share of the visible counter surface unlike its clean reference."""
        reference = self._references.get(pz.zone_id)
        if reference is None:
            return 0.0
        x1, y1, x2, y2 = pz.bbox
        valid = pz.mask[y1:y2, x1:x2].copy()
        for bx1, by1, bx2, by2 in persons.xyxy:  # people and their hands are not clutter
            mx, my = 0.1 * (bx2 - bx1), 0.1 * (by2 - by1)
            valid[
                int(max(by1 - my - y1, 0)) : int(max(by2 + my - y1, 0)),
                int(max(bx1 - mx - x1, 0)) : int(max(bx2 + mx - x1, 0)),
            ] = 0
        n = int(valid.sum())
        if n == 0:
            return 0.0
        now = _grey(frame[y1:y2, x1:x2])
        ref = reference[y1:y2, x1:x2]
        sel = valid.astype(bool)
        # Lighting drift scales the whole surface; the median is robust to the clutter itself.
        gain = float(np.median(ref[sel])) / max(float(np.median(now[sel])), 1.0)
        changed = (np.abs(now * gain - ref) > self.settings.clutter_pixel_delta).astype(np.uint8)
        changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        return round(float(changed[sel].sum()) / n, 4)


def _grey(bgr: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), (5, 5), 0).astype(np.float32)
