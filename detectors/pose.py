"""The pose cue for phone use, read from MoveNet's keypoints (detectors/backends/movenet.py).

The cue reads two postures from head and wrist keypoints: the head bowed toward wrists
held together in front of the torso (reading or typing on a phone), and a wrist at an ear
(a call). Tellers count cash and sort papers with their hands in front of them all day, so
the cue alone is weak evidence (docs/accuracy.md gives how often it fires on such work):
the phone stage uses it to decide where to look and to confirm the detector, never alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from detectors.backends.movenet import KEYPOINTS, Pose


class Posture(StrEnum):
    NONE = ""
    BOWED_HANDS_TOGETHER = "bowed"  # looking down at something held in both hands
    WRIST_AT_EAR = "call"


@dataclass(frozen=True)
class PoseCueSettings:
    #: a keypoint counts when MoveNet's score reaches this
    min_keypoint: float = 0.25
    #: a wrist this close to an ear (in shoulder widths) is a call
    ear_reach: float = 0.45
    #: wrists at most this far apart (in shoulder widths) are held together
    wrists_together: float = 0.6
    #: the nose this far below the ears (in shoulder widths) is a bowed head
    nose_drop: float = 0.12
    #: the nose at most this far above the shoulder line (in shoulder widths) is a bowed head
    neck_height: float = 0.45


def posture(pose: Pose, s: PoseCueSettings | None = None) -> Posture:
    """The phone-like posture of one pose, or NONE; lengths scale by the shoulder width."""
    s = s or PoseCueSettings()
    seen = {name: pose.seen(name, s.min_keypoint) for name in KEYPOINTS}
    if not (seen["left_shoulder"] and seen["right_shoulder"]):
        return Posture.NONE
    ls, rs = pose.at("left_shoulder"), pose.at("right_shoulder")
    sw = float(np.linalg.norm(ls - rs))
    if sw < 4:  # shoulders on top of each other: a side view too thin to judge
        return Posture.NONE
    wrists = [pose.at(w) for w in ("left_wrist", "right_wrist") if seen[w]]
    ears = [pose.at(e) for e in ("left_ear", "right_ear") if seen[e]]
    shoulder_y = (ls[1] + rs[1]) / 2
    for wrist in wrists:
        if wrist[1] < shoulder_y and any(
            np.linalg.norm(wrist - e) <= s.ear_reach * sw for e in ears
        ):
            return Posture.WRIST_AT_EAR
    if len(wrists) < 2 or np.linalg.norm(wrists[0] - wrists[1]) > s.wrists_together * sw:
        return Posture.NONE
    mid = (wrists[0] + wrists[1]) / 2
    hips = [pose.at(h) for h in ("left_hip", "right_hip") if seen[h]]
    low = np.mean([h[1] for h in hips]) if hips else shoulder_y + 1.6 * sw
    left, right = min(ls[0], rs[0]) - 0.3 * sw, max(ls[0], rs[0]) + 0.3 * sw
    if not (shoulder_y < mid[1] <= low and left <= mid[0] <= right):
        return Posture.NONE  # hands not in front of the torso
    if not seen["nose"]:
        return Posture.NONE
    nose = pose.at("nose")
    dropped = bool(ears) and nose[1] - np.mean([e[1] for e in ears]) >= s.nose_drop * sw
    sunk = shoulder_y - nose[1] <= s.neck_height * sw
    return Posture.BOWED_HANDS_TOGETHER if dropped or sunk else Posture.NONE


#: the upper body as a grid of cells (width, height), and the change of any cell's mean grey
#: level (0-255) that counts as movement: a hand lifting a phone changes a few cells by tens
STILL_GRID = (12, 16)
STILL_DELTA = 8.0
#: the same person: their box this much overlapping the one posed before
STILL_IOU = 0.8


@dataclass(frozen=True)
class Posed:
    """A person as posed in one sample: box (frame pixels), upper body thumbnail, pose."""

    box: np.ndarray
    thumb: np.ndarray
    pose: Pose | None


def still_thumb(crop: np.ndarray) -> np.ndarray:
    """The crop as STILL_GRID cells of mean grey."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, STILL_GRID, interpolation=cv2.INTER_AREA).astype(np.float32)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class StillPoses:
    """Each zone's persons as last posed, to reuse a pose while its person holds still.

    The motion gate (detectors/motion.py) skips a sample only when nothing in the zones
    moved; a teller seated at the post stays the same while customers come and go in front
    of them, and MoveNet is most of the phone stage's cost. A person in the same place
    whose upper body changed in no cell by `STILL_DELTA` keeps their last pose.
    """

    def __init__(self) -> None:
        self._zones: dict[str, list[Posed]] = {}

    def recall(self, zone_id: str, box: np.ndarray, thumb: np.ndarray) -> Posed | None:
        for seen in self._zones.get(zone_id, ()):
            if _iou(seen.box, box) >= STILL_IOU and np.abs(seen.thumb - thumb).max() < STILL_DELTA:
                return seen
        return None

    def update(self, zone_id: str, posed: list[Posed]) -> None:
        """This sample's persons: the ones the next sample is compared with."""
        self._zones[zone_id] = posed
