"""The second phone stage: a phone detector on staff crops at native resolution, a pose cue,
and the per-frame fusion of both with the first (full-frame) stage.

At CCTV distances a phone is a few dozen pixels and the full-frame detector, which sees the
frame shrunk to 416 px, finds none (docs/accuracy.md, "Phone use"). So for each person in a staff zone the
stage crops the upper body and hands from the frame as decoded and runs a detector on that.
To keep the nightly cost small it looks only where something suggests a phone: a first-stage
phone on the person, the pose cue, or phone evidence in the zone a moment ago.

Per frame it says whether a phone is in use, how sure it is and which cues agreed; whether
that lasts ≥ 10 s within 30 s is the rules engine's business (rules/temporal.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.backends.movenet import K, MoveNetMultiPose, Pose
from detectors.base import Detector, DetectorError
from detectors.detections import Detections
from detectors.frame import CropSource, crop_source
from detectors.pose import PoseCueSettings, Posed, Posture, StillPoses, posture, still_thumb
from detectors.registry import OnnxModel, load_detector, weights_tag
from detectors.zones import grown_box, upper_body_share

#: a first-stage phone this much inside a staff member's upper body suggests a look (as the
#: observer's own first-stage rule)
FIRST_STAGE_OVERLAP = 0.5


class PhoneStageSettings(BaseModel):
    """How the phone stage runs; the CLI and a site's configuration set these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: `onnx`: a shipped model (see `model`); `yolo`: the bank's own weights (phone class)
    backend: Literal["onnx", "yolo"] = "onnx"
    #: the onnx backend's crop detector, chosen by measurement (docs/accuracy.md): NanoDet-m
    #: is shipped; CenterNet must be converted first (tools/convert_human_models.py)
    model: OnnxModel = "nanodet"
    weights: Path | None = None
    #: a crop-detector phone at least this sure is a candidate
    crop_conf: float = Field(default=0.2, gt=0, lt=1)
    #: a phone box this sure but under `crop_conf` is kept only as a labelling candidate
    #: (pipeline/batch/candidates.py): the frames a bank's own model learns from
    candidate_conf: float = Field(default=0.1, gt=0, lt=1)
    #: a candidate this sure counts without a confirming cue
    alone_conf: float = Field(default=0.5, gt=0, lt=1)
    #: run MoveNet on staff crops: the gate's pose cue and the detector's confirmation
    pose: bool = True
    #: run the crop detector on every staff person (measurement; costs more)
    always: bool = False
    #: also search a square window centred on each wrist the pose sees, `hand_window` of the
    #: person's height across (about four phone lengths), upscaled to the detector: a phone
    #: is a larger share of it than of the upper body (docs/accuracy.md, "Hand windows")
    hand_windows: bool = False
    hand_window: float = Field(default=0.4, gt=0, le=1)
    #: after phone evidence in a zone, keep looking there this long without a suggestion
    hold_s: float = Field(default=30.0, ge=0)
    #: a phone box centre this close to a seen wrist (in shoulder widths) is held
    hand_reach: float = Field(default=0.8, gt=0)
    #: people shorter than this (px) are not searched: their phone would be under ~10 px
    min_person_px: int = Field(default=120, ge=0)
    #: a phone's long side as a share of the person's height: smaller boxes are specks
    #: (buttons, hair), larger ones are not a phone in the hand
    phone_size: tuple[float, float] = (0.05, 0.35)
    threads: int | None = None

    def fingerprint(self) -> str:
        """What the stage's verdicts depend on, for the nightly run's unit fingerprint."""
        fields = self.model_dump(exclude={"threads", "weights"})
        return (
            ",".join(f"{k}={v}" for k, v in fields.items())
            + f",weights={weights_tag(self.weights)}"
        )


@dataclass(frozen=True)
class PhoneVerdict:
    """One staff zone in one frame: phone in use, confidence, the cues that agreed."""

    phone: bool = False
    conf: float = 0.0
    cues: tuple[str, ...] = ()
    #: the best phone box the crop detector found (analysed-frame pixels), for the overlay
    box: tuple[float, float, float, float] | None = None
    #: the crop detector's own score of `box` (a box under `crop_conf` has conf 0)
    score: float = 0.0

    @property
    def rank(self) -> tuple[bool, float, float]:
        """A verdict over a near miss, then the surer; near misses by their score."""
        return self.phone, self.conf, self.score

    @property
    def cue_text(self) -> str:
        return "+".join(self.cues)


def upper_body_crop(box, frame_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where a person's phone can be: head, arms held out, hands down to the desk.

    The box is widened by a quarter on each side (a phone held out or at the ear leaves the
    person box) and cut at 80 % of its height (below the hands of a seated or standing
    person). Integer pixels of the frame at native resolution, clipped to it.
    """
    return grown_box(box, frame_size, side=0.25, top=0.05, bottom=0.8)


def _held(box, pose: Pose | None, s: PhoneStageSettings, min_kp: float) -> bool:
    """The phone box is at a seen wrist of the person's pose. Not an ear alone: from behind,
    hair beside an ear is the detector's commonest false phone."""
    if pose is None or not (
        pose.seen("left_shoulder", min_kp) and pose.seen("right_shoulder", min_kp)
    ):
        return False
    sw = float(np.linalg.norm(pose.at("left_shoulder") - pose.at("right_shoulder")))
    centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    reach = s.hand_reach * max(sw, 8.0)
    points = [K["left_wrist"], K["right_wrist"]]
    return any(
        pose.score[i] >= min_kp and np.linalg.norm(pose.xy[i] - centre) <= reach for i in points
    )


def _fuse(score: float, cues: list[str], first_conf: float) -> float:
    """1 − Π(1 − c) over the agreeing cues: the detector's score, 0.3 for each pose cue,
    the first stage's own score; independent evidence each lowers the doubt."""
    doubt = 1.0 - score
    for cue in cues:
        doubt *= {"hand": 0.7, "pose": 0.7, "first": 1.0 - first_conf}.get(cue, 1.0)
    return round(1.0 - doubt, 4)


@dataclass
class StageCounters:
    """What the stage did, for the cost figures: persons seen, pose and detector runs."""

    persons: int = 0
    pose_runs: int = 0
    #: poses reused for a person who held still (detectors/pose.py, StillPoses)
    pose_reused: int = 0
    #: windows around wrists searched besides the upper body (`hand_windows`)
    hand_windows: int = 0
    #: time spent in the stage (pose, crops, crop detector), for the run's stage shares
    seconds: float = 0.0
    crop_runs: int = 0
    suggested_by: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("first", "pose", "hold"), 0)
    )


class PhoneStage:
    """Asked by the observer once per staff zone and frame, with the zone's staff persons."""

    def __init__(
        self,
        settings: PhoneStageSettings | None = None,
        detector: Detector | None = None,
        pose_model: MoveNetMultiPose | None = None,
        pose_cue: PoseCueSettings | None = None,
    ) -> None:
        self.settings = s = settings or PhoneStageSettings()
        self.detector = detector or load_crop_detector(s)
        self.pose_model = pose_model or (MoveNetMultiPose(threads=s.threads) if s.pose else None)
        self.pose_cue = pose_cue or PoseCueSettings()
        self.counters = StageCounters()
        self._last_evidence: dict[str, datetime] = {}
        self._still = StillPoses()
        pose_version = f"+{self.pose_model.version}" if self.pose_model else ""
        self.version = f"phone:{self.detector.version}{pose_version}"

    def assess(
        self,
        t: datetime,
        frame: np.ndarray | CropSource,
        zone_id: str,
        staff: Detections,
        first_stage_phones: Detections,
    ) -> PhoneVerdict:
        """The zone's phone evidence: the best over its staff persons. Boxes come in
        analysed-frame pixels; crops, poses and sizes are the recording's own pixels."""
        t0 = time.perf_counter()
        try:
            return self._assess(t, crop_source(frame), zone_id, staff, first_stage_phones)
        finally:
            self.counters.seconds += time.perf_counter() - t0

    def _assess(
        self,
        t: datetime,
        frame: CropSource,
        zone_id: str,
        staff: Detections,
        first_stage_phones: Detections,
    ) -> PhoneVerdict:
        s = self.settings
        last = self._last_evidence.get(zone_id)
        holding = last is not None and 0 <= (t - last).total_seconds() <= s.hold_s
        best = PhoneVerdict()
        scale = frame.scale
        posed: list[Posed] = []
        for box in staff.xyxy:
            self.counters.persons += 1
            person = box * scale
            if person[3] - person[1] < s.min_person_px:
                continue
            x1, y1, x2, y2 = upper_body_crop(person, frame.size)
            crop = frame.crop((x1, y1, x2, y2))
            first = [
                float(c)
                for b, c in zip(first_stage_phones.xyxy, first_stage_phones.confidence, strict=True)
                if upper_body_share(b, box) >= FIRST_STAGE_OVERLAP
            ]
            pose = None
            if self.pose_model is not None:
                thumb = still_thumb(crop)
                seen = self._still.recall(zone_id, person, thumb)
                if seen is not None:
                    self.counters.pose_reused += 1
                    pose = seen.pose
                else:
                    pose = self._pose(crop, (x1, y1))
                posed.append(Posed(person, thumb, pose))
            cue = posture(pose, self.pose_cue) if pose is not None else Posture.NONE
            suggestions = {"first": bool(first), "pose": cue is not Posture.NONE, "hold": holding}
            for name, on in suggestions.items():
                self.counters.suggested_by[name] += on
            if not (s.always or any(suggestions.values())):
                continue
            self.counters.crop_runs += 1
            evidence = self._judge(
                frame, crop, (x1, y1), person, pose, cue, max(first, default=0.0)
            )
            if evidence.rank > best.rank:
                best = evidence
        self._still.update(zone_id, posed)
        if best.phone:
            self._last_evidence[zone_id] = t
        if best.box is not None and scale != 1.0:
            best = replace(best, box=tuple(v / scale for v in best.box))
        return best

    def _pose(self, crop: np.ndarray, offset: tuple[int, int]) -> Pose | None:
        """The crop's main person: the pose whose keypoints are most sure."""
        self.counters.pose_runs += 1
        poses = self.pose_model.poses(crop)
        if not poses:
            return None
        pose = max(poses, key=lambda p: float(p.score.sum()))
        return Pose(pose.xy + np.array(offset, np.float32), pose.score, pose.box_score)

    def _windows(self, frame: CropSource, crop, offset, person, pose: Pose | None):
        """The crops to search, with their offsets: the upper body, and with `hand_windows`
        a square around each wrist the pose sees."""
        s = self.settings
        out = [(crop, offset)]
        if not s.hand_windows or pose is None:
            return out
        half = 0.5 * s.hand_window * float(person[3] - person[1])
        w, h = frame.size
        for wrist in ("left_wrist", "right_wrist"):
            if pose.seen(wrist, self.pose_cue.min_keypoint):
                cx, cy = (float(v) for v in pose.at(wrist))
                box = (
                    int(max(0.0, cx - half)), int(max(0.0, cy - half)),
                    int(min(float(w), cx + half)), int(min(float(h), cy + half)),
                )  # fmt: skip
                if box[2] - box[0] >= 8 and box[3] - box[1] >= 8:
                    self.counters.hand_windows += 1
                    out.append((frame.crop(box), box[:2]))
        return out

    def _judge(
        self, frame: CropSource, crop, offset, person, pose: Pose | None, cue: Posture,
        first_conf: float,
    ) -> PhoneVerdict:  # fmt: skip
        s = self.settings
        floor = min(s.crop_conf, s.candidate_conf)
        found = []
        for window, (ox, oy) in self._windows(frame, crop, offset, person, pose):
            phones = self.detector.detect(window).in_group("phone").with_min_confidence(floor)
            found += [
                (b + np.array([ox, oy, ox, oy], np.float32), float(c))
                for b, c in zip(phones.xyxy, phones.confidence, strict=True)
            ]
        height = float(person[3] - person[1])
        lo, hi = s.phone_size[0] * height, s.phone_size[1] * height
        found = [(b, c) for b, c in found if lo <= max(b[2] - b[0], b[3] - b[1]) <= hi]
        if not found:
            return PhoneVerdict()
        best_box, best = max(found, key=lambda f: f[1])
        if best < s.crop_conf:  # phone-like, not a verdict
            return PhoneVerdict(box=tuple(float(v) for v in best_box), score=best)
        candidates = []
        for box, score in [(b, c) for b, c in found if c >= s.crop_conf]:
            cues = ["det"]
            if _held(box, pose, s, self.pose_cue.min_keypoint):
                cues.append("hand")
            if cue is not Posture.NONE:
                cues.append("pose")
            if first_conf > 0:
                cues.append("first")
            phone = len(cues) > 1 or score >= s.alone_conf
            conf = _fuse(score, cues[1:], first_conf)
            box = tuple(float(v) for v in box)
            candidates.append(PhoneVerdict(phone, conf, tuple(cues), box, score))
        return max(candidates, key=lambda e: (e.phone, e.conf))


def load_crop_detector(s: PhoneStageSettings) -> Detector:
    """The crop detector the settings name, through the one factory (detectors/registry.py);
    candidates below `crop_conf` are dropped later."""
    if s.backend == "yolo" and s.weights is None:
        raise DetectorError(
            "the phone stage's yolo backend needs --phone-weights: the bank's model with a "
            "phone class (.pt, .onnx or .engine)"
        )
    floor = min(s.crop_conf, s.candidate_conf, 0.1)
    return load_detector(s.backend, s.weights, floor, s.threads, s.model)
