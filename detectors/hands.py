"""Raised hands at teller posts (举手示意): MoveNet on each staff person, a wrist above the
shoulder line.

HAND_RAISE (rules/windowed.py) asks whether the teller greeted each arriving customer with
a raised hand; this stage gives the per-sample fact it judges. It runs only on teller posts
a one-metre zone names (pipeline/site.py, `post`), so the pose model costs nothing where a
bank does not judge the item. What it has and has not been measured on: docs/accuracy.md,
"Raised hands".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detectors.backends.movenet import MoveNetMultiPose, Pose
from detectors.detections import Detections
from detectors.frame import CropSource, crop_source
from detectors.zones import grown_box


@dataclass(frozen=True)
class HandSettings:
    #: a keypoint counts when MoveNet's score reaches this (as the phone cue, detectors/pose.py)
    min_keypoint: float = 0.25
    #: a wrist at least this far above the shoulder line (in shoulder widths) is raised:
    #: a hand adjusting a collar or a headset stays below it
    above: float = 0.15
    #: people shorter than this (px) are not read: their keypoints would be pixels apart
    min_person_px: int = 60


def hand_up(pose: Pose, s: HandSettings | None = None) -> bool | None:
    """A seen wrist above the shoulder line; None when the shoulders are not both seen or
    lie on top of each other (a side view too thin to judge). A wrist not seen is not up:
    a raised hand is the part of the teller least likely to be hidden by the counter."""
    s = s or HandSettings()
    if not (
        pose.seen("left_shoulder", s.min_keypoint) and pose.seen("right_shoulder", s.min_keypoint)
    ):
        return None
    ls, rs = pose.at("left_shoulder"), pose.at("right_shoulder")
    width = float(np.linalg.norm(ls - rs))
    if width < 4:
        return None
    line = (ls[1] + rs[1]) / 2
    return any(
        pose.seen(w, s.min_keypoint) and pose.at(w)[1] <= line - s.above * width
        for w in ("left_wrist", "right_wrist")
    )


def hand_crop(box, frame_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where a person's raised hand can be: the box widened by 30 % each side and raised by
    half its height (a hand held up leaves a seated person's box), clipped to the frame."""
    return grown_box(box, frame_size, side=0.3, top=0.5, bottom=1.0)


class HandStage:
    """Asked by the observer once per linked teller post and fresh frame, with its staff."""

    def __init__(self, pose_model: MoveNetMultiPose, settings: HandSettings | None = None) -> None:
        self.pose_model = pose_model
        self.settings = settings or HandSettings()
        self.pose_runs = 0
        self.version = f"hands:{pose_model.version}"

    def raised(self, frame: np.ndarray | CropSource, staff: Detections) -> bool | None:
        """True if some staff person's hand is up, False if one was read and none is, None
        when nobody could be read (nobody there, too small, shoulders unseen). Crops and
        sizes are the recording's own pixels."""
        frame = crop_source(frame)
        read: list[bool] = []
        for box in staff.xyxy:
            person = box * frame.scale
            if person[3] - person[1] < self.settings.min_person_px:
                continue
            x1, y1, x2, y2 = hand_crop(person, frame.size)
            pose = self._pose(frame.crop((x1, y1, x2, y2)), (x1, y1), person)
            state = hand_up(pose, self.settings) if pose is not None else None
            if state is not None:
                read.append(state)
        return any(read) if read else None

    def _pose(self, crop: np.ndarray, offset: tuple[int, int], person) -> Pose | None:
        """The person's own pose in the crop: the surest whose shoulders' midpoint lies in
        their box (a customer across the counter may share the crop)."""
        self.pose_runs += 1
        x1, y1, x2, y2 = (float(v) for v in person)
        best: Pose | None = None
        for pose in self.pose_model.poses(crop):
            pose = Pose(pose.xy + np.array(offset, np.float32), pose.score, pose.box_score)
            mx, my = (pose.at("left_shoulder") + pose.at("right_shoulder")) / 2
            inside = x1 <= mx <= x2 and y1 <= my <= y2
            if inside and (best is None or pose.score.sum() > best.score.sum()):
                best = pose
        return best
