"""A finding's evidence clip and key frame, drawn as a supervisor reviews them.

Frames come from the sampler at the clip's rate, so decoding stays GOP-aware (one seek
per part and file at most, only kept frames converted); each is detected, blurred
(privacy.py), drawn and encoded before the next is decoded, so memory stays flat however
long the clip. A finding longer than its two parts is cut to its beginning and its end,
joined by a one-second title card that says how much was left out.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import cv2
import numpy as np

from detectors.analyzer import build_analyzer
from detectors.base import Detector
from detectors.motion import MotionGate
from detectors.observer import ZoneSpec
from detectors.phone import PhoneStageSettings
from pipeline.evidence.overlay import WHITE, ZoneAnnotator, label_masks, label_px, put_label
from pipeline.evidence.privacy import blur_customers
from pipeline.evidence.store import store, temp_file
from pipeline.evidence.video_writer import H264Writer
from pipeline.footage.recordings import Segment
from pipeline.footage.sampler import Sample, SamplingSpec
from pipeline.footage.window import sample_window
from rules.checklist import Checklist, FootageEvidence, load_checklist
from rules.intervals import Interval

MAX_SIDE = 1280  # browser review; a 4K main stream would only cost encoding time
JPEG_QUALITY = 90
MAX_HOLD_S = 1.0  # a frame stands for missing slots (or the key time) up to this long
#: the rolls a clip shows around its finding, and the length of each part of a long one
ROLLS = {"pre_s": 4.0, "post_s": 4.0, "part_s": 12.0}
#: seconds of footage shown on each side of a gap in a missing-footage finding's clip
EDGE_S = 6.0
TITLE_CARD_S = 1.0  # between the parts of a long finding's clip
TITLE_SHARE = 1.5  # the title card's text, against the labels' size
_SLOT_EPS = 1e-3
FINDING_NAME = re.compile(r"[A-Za-z0-9_\-]{1,32}")  # a finding id, safe as a folder name


class EvidenceError(Exception):
    """The request cannot be shown: no footage at all, or a malformed request."""


@dataclass(frozen=True)
class EvidenceRequest:
    finding_id: str
    item: str  # checklist code, e.g. TELLER_ABSENT (shown in the caption)
    camera: str
    zone_id: str  # the finding's zone (drawn highlighted)
    start: datetime  # aware
    end: datetime  # aware
    keytime: datetime  # the moment to show as the key frame (a supporting sample)
    segments: tuple[Segment, ...]  # the camera-day's recordings, in time order
    zones: tuple[ZoneSpec, ...]  # all the camera's zones


@dataclass(frozen=True)
class Evidence:
    clip: str  # path relative to the evidence root, POSIX separators
    keyframe: str  # idem
    #: the zone's clean reference drawn as the key frame is (`reference_path`), for a
    #: counter surface configured with one; None: the zone has none
    reference: str | None = None


def reference_path(keyframe: str) -> str | None:
    """Where the clean reference shown beside a key frame is kept, relative to the
    evidence root: named after the key frame (whose name is its content's digest), so the
    finding's row finds it without a column of its own; None for a key frame not a JPEG."""
    return keyframe.removesuffix(".jpg") + "-reference.jpg" if keyframe.endswith(".jpg") else None


def write_evidence(
    req: EvidenceRequest,
    detector: Detector,
    root: Path,
    *,
    checklist: Checklist | None = None,
    phone: PhoneStageSettings | None = None,
    pre_s: float = ROLLS["pre_s"],
    post_s: float = ROLLS["post_s"],
    part_s: float = ROLLS["part_s"],
    fps: float = 5.0,
) -> Evidence:
    """Write the clip over [start - pre_s, end + post_s] (cut to two parts of part_s when
    the finding is long) at `fps` (at most the sampler's 5/s) and the key frame at
    `keytime`, under `root` by content. Raises EvidenceError when nothing can be shown."""
    if any(t.tzinfo is None for t in (req.start, req.end, req.keytime)):
        raise EvidenceError(f"finding {req.finding_id}: times must be aware")
    if req.end < req.start:
        raise EvidenceError(f"finding {req.finding_id}: ends before it starts")
    render = _Renderer(req, detector, checklist or load_checklist(), phone)
    observer = render.analyzer.observer
    # the phone and hand stages' crops at the recording's resolution, as in the night
    native = observer.phone_stage is not None or observer.hand_stage is not None
    spec = SamplingSpec(fps, MAX_SIDE, native_crops=native)
    windows = clip_parts(req.start, req.end, pre_s, post_s, part_s)
    with temp_file(root, ".mp4") as tmp:
        if not _write_clip(tmp, windows, req.segments, spec, render):
            lo, hi = windows[0][0], windows[-1][1]
            raise EvidenceError(
                f"finding {req.finding_id}: no footage of camera {req.camera} could be "
                f"decoded between {lo.isoformat()} and {hi.isoformat()}"
            )
        clip = store(tmp, root)
    # the first frame at or after keytime: the supporting sample itself
    key_window = (req.keytime, req.keytime + timedelta(seconds=MAX_HOLD_S))
    sample = next(sample_window(req.segments, key_window, spec), None)
    if sample is None:
        raise EvidenceError(
            f"finding {req.finding_id}: no footage of camera {req.camera} at the key time "
            f"{req.keytime.isoformat()}"
        )
    with temp_file(root, ".jpg") as tmp:
        tmp.write_bytes(_jpeg(render(sample)))
        keyframe = store(tmp, root)
    reference = None
    if (clean := render.reference(sample)) is not None:
        reference = reference_path(keyframe)
        with temp_file(root, ".jpg") as tmp:
            tmp.write_bytes(_jpeg(clean))
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the review server must read it
            os.replace(tmp, root / reference)
    return Evidence(clip, keyframe, reference)


def _jpeg(image: np.ndarray) -> bytes:
    _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return data.tobytes()


def clip_parts(
    start: datetime, end: datetime, pre_s: float, post_s: float, part_s: float
) -> list[Interval]:
    """The windows the clip shows: the whole finding with its rolls, or, when that would be
    long, the first part_s from the pre-roll and the last part_s up to the post-roll."""
    lo, hi = start - timedelta(seconds=pre_s), end + timedelta(seconds=post_s)
    if (end - start).total_seconds() <= pre_s + post_s + 2 * part_s:
        return [(lo, hi)]
    part = timedelta(seconds=part_s)
    return [(lo, lo + part), (hi - part, hi)]


def evidence_rolls(evidence: object) -> dict[str, float]:
    """The rolls of an item's clip: missing footage shows the gap's edges, EDGE_S each."""
    if isinstance(evidence, FootageEvidence):
        return {"pre_s": EDGE_S, "post_s": EDGE_S, "part_s": EDGE_S}
    return dict(ROLLS)


def clip_timing(
    start: datetime, end: datetime, pre_s: float, post_s: float, part_s: float
) -> list[tuple[datetime, datetime, float]]:
    """Each window of the clip with the clip time it starts at, so a page can seek the clip
    to a wall-clock moment. A part starts after the previous parts and the title card;
    exact as long as the footage has no hole over MAX_HOLD_S (holes are left out)."""
    out, offset = [], 0.0
    for lo, hi in clip_parts(start, end, pre_s, post_s, part_s):
        out.append((lo, hi, offset))
        offset += (hi - lo).total_seconds() + TITLE_CARD_S
    return out


def moment_path(finding_id: str, at: datetime) -> str:
    """Where the clip of a moment is kept, relative to the evidence root: a name made
    here from the finding's id and the UTC second, never taken from a request."""
    if not FINDING_NAME.fullmatch(finding_id) or at.tzinfo is None:
        raise EvidenceError(f"finding {finding_id!r}: not a moment that can be named")
    return f"moments/{finding_id}/{at.astimezone(UTC):%Y%m%dT%H%M%SZ}.mp4"


#: where a clip being drawn stands, told as it goes: a stage of MOMENT_STAGES and the
#: share of its frames done (0..1)
Tell = Callable[[str, float], None]
MOMENT_STAGES = ("decoding", "drawing", "encoding")


def write_moment(
    req: EvidenceRequest,
    detector: Detector,
    root: Path,
    *,
    checklist: Checklist | None = None,
    half_s: float = 6.0,
    fps: float = 5.0,
    gate: bool = True,
    progress: Tell | None = None,
) -> str:
    """A short clip around `req.keytime`, drawn like the evidence, for a moment the
    finding's clip leaves out (the middle of a long absence). Kept under
    `moments/<finding>/<UTC time>.mp4`, a name made here, never taken from a request, so
    the next request for the moment reads it. Returns the path relative to `root`.

    `gate`: the night's motion gate (detectors/motion.py), watching the whole frame,
    spares the detector the frames in which nothing moved anywhere, reusing the boxes of
    the last frame that did, so the blur still covers every customer; a reviewer waits
    for this clip (benchmarks/moments.py). `progress` is told the
    stage and the share of frames drawn (api/moment_clips.py shows it)."""
    rel = moment_path(req.finding_id, req.keytime)
    if (root / rel).is_file():
        return rel
    tell = progress or (lambda stage, share: None)
    tell("decoding", 0.0)
    half = timedelta(seconds=half_s)
    motion = MotionGate(whole_frame=True) if gate else False
    render = _Renderer(req, detector, checklist or load_checklist(), None, gate=motion)
    window = [(req.keytime - half, req.keytime + half)]
    expected = max(round(2 * half_s * fps), 1)
    spec = SamplingSpec(fps, MAX_SIDE)
    with temp_file(root, ".mp4") as tmp:
        drawn = _write_clip(
            tmp, window, req.segments, spec, render,
            on_frame=lambda n: tell("drawing", min(n / expected, 1.0)),
            on_last=lambda: tell("encoding", 1.0),
        )  # fmt: skip
        if not drawn:
            raise EvidenceError(
                f"finding {req.finding_id}: no footage of camera {req.camera} around "
                f"{req.keytime.isoformat()}"
            )
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, root / rel)
    return rel


def caption(item: str, camera: str, t: datetime, tz: tzinfo | None) -> str:
    """What each frame says: the branch's wall-clock time first (what a narrow frame must
    not cut off), the camera and the item (its Chinese and English names, `item_name`)."""
    return f"{t.astimezone(tz):%H:%M:%S}  {camera}  {item}"


def item_name(checklist: Checklist, code: str) -> str:
    """The item as a caption names it, Chinese first; an unknown code as it is."""
    try:
        item = checklist.item(code)
    except KeyError:
        return code
    return f"{item.name_zh} {item.name_en}"


def skipped(seconds: float, zh: bool = False) -> str:
    """How much a title card leaves out, in the unit a supervisor thinks in."""
    sec, mins, hours = ("秒", "分钟", "小时") if zh else ("s", "min", "h")
    if seconds < 90:
        return f"{round(seconds)} {sec}"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} {mins}"
    return f"{minutes // 60} {hours} {minutes % 60:02d} {mins}"


class _Renderer:
    """A sample as evidence shows it: customers' heads blurred, zones with their state,
    detections and the caption drawn. Detection runs on the unblurred frame, through the
    same chain as the nightly run (detectors/analyzer.py), ungated for the evidence, where every frame is seen (a moment's clip gates: write_moment)."""

    def __init__(
        self,
        req: EvidenceRequest,
        detector: Detector,
        checklist: Checklist,
        phone: PhoneStageSettings | None,
        gate: bool | MotionGate = False,
    ) -> None:
        self.req = req
        self.analyzer = build_analyzer(req.camera, req.zones, detector, gate=gate, phone=phone)
        self.annotator = ZoneAnnotator(checklist, req.item)
        self.item = item_name(checklist, req.item)
        # the branch's zone: the recordings' start times are in it
        self.tz = req.segments[0].start.tzinfo if req.segments else req.start.tzinfo

    def __call__(self, sample: Sample) -> np.ndarray:
        frame = sample.frame
        result = self.analyzer.analyze(sample.t, frame, sample.native)
        zones = self.analyzer.observer.pixel_zones((frame.shape[1], frame.shape[0]))
        drawn = self.annotator.draw(
            blur_customers(frame, result.detections, zones),
            zones,
            result.observation,
            result.detections,
            caption(self.item, self.req.camera, sample.t, self.tz),
            highlight=self.req.zone_id,
        )
        return displayed(drawn, sample.aspect)

    def reference(self, sample: Sample) -> np.ndarray | None:
        """The finding's zone's clean reference (the photo its clutter is measured
        against, detectors/observer.py) at the sample's size with the camera's zones
        drawn, so it lies beside the key frame pixel for pixel; None when the zone (or,
        for a finding judged over a purpose, no zone of it) has one."""
        spec = next(
            (z for z in self.req.zones
             if z.reference is not None and self.req.zone_id in (z.zone_id, z.purpose)),
            None,
        )  # fmt: skip
        if spec is None:
            return None
        size = (sample.frame.shape[1], sample.frame.shape[0])
        clean = cv2.resize(spec.reference, size, interpolation=cv2.INTER_AREA)
        zones = self.analyzer.observer.pixel_zones(size)
        drawn = self.annotator.draw(clean, zones, None, None, highlight=spec.zone_id)
        return displayed(drawn, sample.aspect)


def displayed(image: np.ndarray, aspect: float) -> np.ndarray:
    """The picture at the aspect it was recorded for: stored pixels that are not square
    (`Sample.aspect`) widened or narrowed, to an even width for the H.264 clip."""
    if abs(aspect - 1.0) < 0.01:
        return image
    height, width = image.shape[:2]
    return cv2.resize(
        image, (2 * round(width * aspect / 2), height), interpolation=cv2.INTER_LINEAR
    )


def _write_clip(
    path: Path,
    windows: list[Interval],
    segments: tuple[Segment, ...],
    spec: SamplingSpec,
    render: _Renderer,
    on_frame: Callable[[int], None] | None = None,
    on_last: Callable[[], None] | None = None,
) -> int:
    """Encode the parts' frames in one pass; returns how many frames came from footage.
    `on_frame` is told the count of frames drawn after each, `on_last` when the encoder
    is left to finish.

    A slot the recording has no frame for (a recorder slower than `fps`, a dropped
    frame) repeats the previous frame, so the clip plays in real time; a hole longer than
    MAX_HOLD_S is left out. Before a later part, a title card says what was skipped.
    """
    fps = float(spec.rate)
    shown = 0
    last: tuple[datetime, np.ndarray] | None = None
    with H264Writer(path, fps) as writer:
        for window in windows:
            slot = None
            for sample in sample_window(segments, window, spec):
                now = math.floor(sample.t.timestamp() * fps + _SLOT_EPS)
                if last is not None and slot is None:
                    card = _title_card(last[1].shape, (sample.t - last[0]).total_seconds())
                    for _ in range(round(fps * TITLE_CARD_S)):
                        writer.write(card)
                elif last is not None and 1 < now - slot <= fps * MAX_HOLD_S:
                    for _ in range(now - slot - 1):
                        writer.write(last[1])
                last = (sample.t, render(sample))
                writer.write(last[1])
                slot = now
                shown += 1
                if on_frame is not None:
                    on_frame(shown)
        if on_last is not None:
            on_last()
    return shown


def _title_card(shape: tuple[int, ...], seconds: float) -> np.ndarray:
    card = np.zeros(shape, np.uint8)
    text = f"{skipped(seconds, zh=True)}后 · {skipped(seconds)} later"
    px = round(TITLE_SHARE * label_px(shape[0]))
    glyphs, _ = label_masks(text, px)
    put_label(card, text, ((shape[1] - glyphs.shape[1]) // 2, (shape[0] - px) // 2), WHITE, px)
    return card
