"""The second phone stage: hands from a palm detector on each staff person's upper body,
then a phone detector on a window around each hand, both at the recording's resolution.

At CCTV distances a phone is a few dozen pixels: the full-frame detector, which sees the
frame shrunk to 416 px, finds none, and on a whole upper-body crop the phone is too small
a share for it too (docs/accuracy.md, "Phone use"). A square window `window` palm lengths
across, centred on the hand and upscaled to the detector's input, makes the phone a large
enough share of the image; a phone box is believed only at a hand's size (`phone_to_palm`):
a bottle cap under the fingers is much smaller than the palm, a screen behind it larger.

Per frame it says whether a phone is in use, how sure it is and which cues agreed; whether
that lasts ≥ 10 s within 30 s is the rules engine's business (rules/temporal.py). Window
scores under the verdict's threshold but over `candidate_conf` are kept as labelling
candidates (pipeline/batch/candidates.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from detectors.backends.palm import Palm, PalmDetector
from detectors.base import Detector, DetectorError
from detectors.config_base import StrictModel
from detectors.detections import Detections
from detectors.frame import CropSource, crop_source
from detectors.registry import OnnxModel, load_detector, load_palm_detector, weights_tag
from detectors.still import Still, StillRegions, still_thumb
from detectors.zones import grown_box

Box = tuple[float, float, float, float]
#: a length in palm lengths (the palm box's long side)
PalmLengths = Annotated[float, Field(ge=0, le=100)]


class PhoneStageSettings(StrictModel):
    """How the phone stage runs; the CLI and the models of a night (pipeline/model_config.py)
    set these."""

    unfingerprinted: ClassVar[frozenset[str]] = frozenset({"threads"})

    backend: Literal["onnx", "yolo"] = Field(
        "onnx", title="window detector",
        description="`onnx`: a shipped model (see `model`); `yolo`: the bank's own weights "
        "(phone class)",
    )  # fmt: skip
    model: OnnxModel = Field(
        "nanodet", title="shipped window model",
        description="the onnx backend's window detector (docs/accuracy.md, \"Phone use\"): "
        "NanoDet-m fp32 `nanodet`, or `nanodet-int8`, its cheaper INT8 quantization",
    )  # fmt: skip
    weights: Path | None = Field(
        None, title="phone weights", description="the bank's model file for the yolo backend"
    )
    palm_conf: float = Field(
        0.4, gt=0, lt=1, title="palm confidence",
        description="a palm at least this sure is a hand to search around",
    )  # fmt: skip
    window: float = Field(
        6.0, gt=1, le=100, title="window size",
        description="the window's side in palm lengths (the palm box's long side)",
    )  # fmt: skip
    crop_conf: float = Field(
        0.3, gt=0, lt=1, title="phone confidence",
        description="a phone in a window at least this sure is phone use",
    )  # fmt: skip
    candidate_conf: float = Field(
        0.1, gt=0, lt=1, title="candidate confidence",
        description="a phone this sure but under `crop_conf` is kept only as a labelling "
        "candidate (pipeline/batch/candidates.py): the crops a bank's own model learns from",
    )  # fmt: skip
    phone_to_palm: tuple[PalmLengths, PalmLengths] = Field(
        (0.6, 3.0), title="phone size",
        description="a phone's long side in palm lengths, low and high: smaller is a cap or "
        "a button under the fingers, larger is not held in that hand",
    )  # fmt: skip
    min_person_px: int = Field(
        120, ge=0, le=100_000, title="smallest person",
        description="people shorter than this (px) are not searched: their palm would be a "
        "few pixels",
    )  # fmt: skip
    reuse_still: bool = Field(
        True, title="reuse still people",
        description="reuse a person's palms and windows while their upper body holds still",
    )  # fmt: skip
    reuse_windows: bool = Field(
        True, title="reuse still windows",
        description="reuse a window's phone search while its pixels hold still, though the "
        "person moved (a hand resting on the desk while the other one writes)",
    )  # fmt: skip
    threads: int | None = Field(
        None, ge=0, le=1024, title="threads",
        description="the models' threads (None: the runtime's choice); not in the fingerprint",
    )  # fmt: skip

    @model_validator(mode="after")
    def _ordered(self) -> PhoneStageSettings:
        lo, hi = self.phone_to_palm
        if not 0 < lo < hi:
            raise ValueError(f"phone_to_palm: need 0 < low < high, got {self.phone_to_palm}")
        return self

    def fingerprint(self, **extra: object) -> str:
        """What the stage's verdicts depend on, for the nightly run's unit fingerprint: the
        weights named by path and content (detectors/registry.py `weights_tag`)."""
        return super().fingerprint(weights=weights_tag(self.weights), **extra)


@dataclass(frozen=True)
class PhoneVerdict:
    """One staff zone in one frame: phone in use, confidence, the cues that agreed."""

    phone: bool = False
    conf: float = 0.0
    cues: tuple[str, ...] = ()
    #: the best phone box a hand window held (analysed-frame pixels), for the overlay
    box: Box | None = None
    #: the window detector's own score of `box` (a box under `crop_conf` has conf 0)
    score: float = 0.0

    @property
    def rank(self) -> tuple[bool, float, float]:
        """A verdict over a near miss, then the surer; near misses by their score."""
        return self.phone, self.conf, self.score

    @property
    def cue_text(self) -> str:
        return "+".join(self.cues)


def upper_body_crop(box, frame_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where a person's hands can be: head, arms held out, hands down to the desk.

    The box is widened by a quarter on each side (a phone held out or at the ear leaves the
    person box) and cut at 80 % of its height (below the hands of a seated or standing
    person). Integer pixels of the frame at native resolution, clipped to it.
    """
    return grown_box(box, frame_size, side=0.25, top=0.05, bottom=0.8)


def hand_window(palm: Palm, window: float, frame_size: tuple[int, int]) -> tuple[int, ...] | None:
    """The square `window` palm lengths across centred on the hand, clipped to the frame
    (the detector letterboxes what is left); None when under 8 px a side."""
    half = 0.5 * window * palm.side
    cx, cy = palm.centre
    w, h = frame_size
    box = (
        int(max(0.0, cx - half)), int(max(0.0, cy - half)),
        int(min(float(w), cx + half)), int(min(float(h), cy + half)),
    )  # fmt: skip
    return box if box[2] - box[0] >= 8 and box[3] - box[1] >= 8 else None


def phone_sized(box, palm: Palm, ratio: tuple[float, float]) -> bool:
    """The phone box's long side is `ratio` palm lengths."""
    side = max(box[2] - box[0], box[3] - box[1])
    return ratio[0] * palm.side <= side <= ratio[1] * palm.side


#: what one window held: its surest phone-sized box (frame pixels) and score
Found = tuple[Box | None, float]


@dataclass(frozen=True)
class Seen:
    """What a person's hands held in one sample: the surest phone-sized box (frame pixels)
    of any window, its score, the palms searched and each window with what it held."""

    palms: tuple[Palm, ...] = ()
    box: Box | None = None
    score: float = 0.0
    windows: tuple[Still, ...] = ()


@dataclass
class StageCounters:
    """What the stage did, for the cost figures."""

    #: staff person-samples offered, and those big enough to search
    persons: int = 0
    searched: int = 0
    #: persons whose upper body held still: last sample's palms and windows reused
    reused: int = 0
    palm_runs: int = 0
    #: hands above `palm_conf`, windows the detector searched, and windows whose pixels
    #: held still: their last search reused
    palms: int = 0
    windows: int = 0
    windows_reused: int = 0
    #: time spent in the stage (palms, crops, windows), for the run's stage shares, and the
    #: CPU time of the calling thread in it (one-thread models run there): what a shared
    #: box's load does not inflate
    seconds: float = 0.0
    cpu_seconds: float = 0.0


class PhoneStage:
    """Asked by the observer once per staff zone and frame, with the zone's staff persons."""

    def __init__(
        self,
        settings: PhoneStageSettings | None = None,
        detector: Detector | None = None,
        palm_model: PalmDetector | None = None,
    ) -> None:
        self.settings = s = settings or PhoneStageSettings()
        self.detector = detector or load_crop_detector(s)
        self.palm_model = palm_model or load_palm_detector(s.threads)
        self.counters = StageCounters()
        self._still = StillRegions()
        self._windows = StillRegions()
        self.version = f"phone:{self.palm_model.version}+{self.detector.version}"

    def assess(
        self, t: datetime, frame: np.ndarray | CropSource, zone_id: str, staff: Detections
    ) -> PhoneVerdict:
        """The zone's phone evidence: the best over its staff persons. Boxes come in
        analysed-frame pixels; crops, palms and windows are the recording's own pixels."""
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return self._assess(crop_source(frame), zone_id, staff)
        finally:
            self.counters.seconds += time.perf_counter() - t0
            self.counters.cpu_seconds += time.thread_time() - c0

    def _assess(self, frame: CropSource, zone_id: str, staff: Detections) -> PhoneVerdict:
        s = self.settings
        best = Seen()
        seen_now: list[Still] = []
        windows_now: list[Still] = []
        for box in staff.xyxy:
            self.counters.persons += 1
            person = box * frame.scale
            if person[3] - person[1] < s.min_person_px:
                continue
            self.counters.searched += 1
            x1, y1, x2, y2 = upper_body_crop(person, frame.size)
            crop = frame.crop((x1, y1, x2, y2))
            thumb = still_thumb(crop)
            last = self._still.recall(zone_id, person, thumb) if s.reuse_still else None
            if last is not None:
                self.counters.reused += 1
                seen = last.payload
            else:
                seen = self._search(frame, crop, (x1, y1), zone_id)
            seen_now.append(Still(person, thumb, seen))
            windows_now += seen.windows
            if seen.box is not None and seen.score > best.score:
                best = seen
        self._still.update(zone_id, seen_now)
        self._windows.update(zone_id, windows_now)
        return self._verdict(best, frame.scale)

    def _search(
        self, frame: CropSource, crop: np.ndarray, offset: tuple[int, int], zone_id: str
    ) -> Seen:
        """Palms in the person's upper body, then a phone-sized box in a window around each;
        a window in the place of one searched last sample, its pixels unchanged, keeps what
        that search found (a phone coming into the hand changes them)."""
        s = self.settings
        self.counters.palm_runs += 1
        palms = tuple(p.shifted(*offset) for p in self.palm_model.palms(crop, s.palm_conf))
        self.counters.palms += len(palms)
        best: Found = (None, 0.0)
        windows = []
        for palm in palms:
            window = hand_window(palm, s.window, frame.size)
            if window is None:
                continue
            pixels = frame.crop(window)
            place, thumb = np.asarray(window, np.float64), still_thumb(pixels)
            last = self._windows.recall(zone_id, place, thumb) if s.reuse_windows else None
            if last is not None:
                self.counters.windows_reused += 1
                found = last.payload
            else:
                self.counters.windows += 1
                found = self._phone_in(pixels, window, palm)
            windows.append(Still(place, thumb, found))
            if found[0] is not None and found[1] > best[1]:
                best = found
        return Seen(palms, *best, tuple(windows))

    def _phone_in(self, pixels: np.ndarray, window: tuple[int, ...], palm: Palm) -> Found:
        """The surest phone-sized box the detector finds in one window (frame pixels)."""
        s = self.settings
        phones = self.detector.detect(pixels).in_group("phone")
        phones = phones.with_min_confidence(s.candidate_conf)
        ox, oy = window[:2]
        best: Found = (None, 0.0)
        for b, c in zip(phones.xyxy, phones.confidence, strict=True):
            b = (float(b[0] + ox), float(b[1] + oy), float(b[2] + ox), float(b[3] + oy))
            if phone_sized(b, palm, s.phone_to_palm) and float(c) > best[1]:
                best = (b, float(c))
        return best

    def _verdict(self, seen: Seen, scale: float) -> PhoneVerdict:
        if seen.box is None:
            return PhoneVerdict()
        box = tuple(v / scale for v in seen.box)
        if seen.score < self.settings.crop_conf:  # phone-like, not a verdict
            return PhoneVerdict(box=box, score=seen.score)
        return PhoneVerdict(True, round(seen.score, 4), ("palm", "det"), box, seen.score)


def load_crop_detector(s: PhoneStageSettings) -> Detector:
    """The window detector the settings name, through the one factory
    (detectors/registry.py); candidates below `crop_conf` are dropped later."""
    if s.backend == "yolo" and s.weights is None:
        raise DetectorError(
            "the phone stage's yolo backend needs --phone-weights: the bank's model with a "
            "phone class (.pt, .onnx or .engine)"
        )
    floor = min(s.crop_conf, s.candidate_conf)
    return load_detector(s.backend, s.weights, floor, s.threads, s.model)
