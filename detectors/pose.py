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
