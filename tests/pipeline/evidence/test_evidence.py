"""Evidence clips and key frames on generated recordings whose frames carry their own time,
and on one real clip."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from detectors.detections import Detections
from detectors.observations import ZoneObservation, ZonePurpose
from detectors.observer import ZoneObserver, ZoneSpec
from detectors.registry import load_detector
from pipeline.evidence import Evidence, EvidenceError, EvidenceRequest, write_evidence
from pipeline.evidence.clips import (
    caption,
    clip_timing,
    item_name,
    reference_path,
    skipped,
    write_moment,
)
from pipeline.evidence.overlay import ZoneAnnotator, describe
from pipeline.evidence.privacy import customer_heads
from pipeline.footage.recordings import probe
from pipeline.footage.sampler import sample_video
from pipeline.site import load_site, zone_specs
from rules.checklist import load_checklist
from tests.conftest import DATA, footage_file
from tests.support.recordings import FPS, TZ, at, index_frame, read_index, write_clip

STAFF_BOX = (40, 60, 120, 200)
CUSTOMER_BOX = (200, 60, 280, 200)
ZONES = (
    ZoneSpec("post-1", ZonePurpose.TELLER_POST, ((0.03, 0.15), (0.45, 0.15), (0.45, 0.9), (0.03, 0.9))),
    ZoneSpec("lobby", ZonePurpose.LOBBY, ((0.55, 0.15), (0.97, 0.15), (0.97, 0.95), (0.55, 0.95))),
)  # fmt: skip


def _textured(index: int) -> np.ndarray:
    """An index frame with a checkerboard where each person's head is."""
    image = index_frame(index)
    yy, xx = np.mgrid[0:40, 0:100]
    board = np.where((yy // 4 + xx // 4) % 2, 255, 0).astype(np.uint8)[..., None]
    for x1, y1, *_ in (STAFF_BOX, CUSTOMER_BOX):
        image[y1 - 4 : y1 + 36, x1 - 10 : x1 + 90] = board
    return image


class StubDetector:
    """The same two persons in every frame: a teller at the post, a customer in the lobby."""

    version = "stub"
    class_names = Detections.empty().class_names

    def detect(self, frame: np.ndarray) -> Detections:
        return Detections.from_arrays([STAFF_BOX, CUSTOMER_BOX], [0.9, 0.8], [0, 0])


@pytest.fixture(scope="module")
def segments(tmp_path_factory):
    """Two 20 s files back to back from 09:00:00; every frame's index is its second x FPS
    since 09:00:00, across both files."""
    folder = tmp_path_factory.mktemp("evidence-recordings")
    out = []
    for first in (0, 20):
        path = write_clip(
            folder / f"cam-1_{first}.mp4", 20, frame=lambda i, f=first: _textured(f * FPS + i)
        )
        out.append(probe(path, at(first), TZ))
    return tuple(out)


def _request(segments, start: float, end: float, key: float, zones=ZONES) -> EvidenceRequest:
    return EvidenceRequest(
        "f-1", "TELLER_ABSENT", "cam-1", "post-1", at(start), at(end), at(key), segments, zones
    )


ANNOTATOR = ZoneAnnotator(load_checklist())
NAME = item_name(load_checklist(), "TELLER_ABSENT")


@dataclass(frozen=True)
class Clip:
    """What a test reads of a stored clip, taken while its container is open (PyAV 18.1
    refuses a closed container's stream attributes)."""

    codec: str
    pix_fmt: str
    seconds: float


def _frames(path: Path) -> tuple[Clip, list[np.ndarray]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(stream)]
        clip = Clip(
            stream.codec_context.name,
            stream.codec_context.pix_fmt,
            float(stream.duration * stream.time_base),
        )
        return clip, frames


def _shown(frame: np.ndarray) -> float:
    """Seconds after 09:00:00 of the source frame a clip frame was made from."""
    return read_index(frame) / FPS


def _interior(box, share: float = 0.2) -> tuple[slice, slice]:
    """The head region inside a person box, clear of the drawn box lines."""
    x1, y1, x2, y2 = (int(v) for v in box)
    return slice(y1 + 4, y1 + int(share * (y2 - y1))), slice(x1 + 4, x2 - 4)


def _variance(frame: np.ndarray, region) -> float:
    return float(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)[region].var())


def test_short_finding_across_two_files(segments, tmp_path):
    ev = write_evidence(_request(segments, 18, 22, 21), StubDetector(), tmp_path, pre_s=2, post_s=2)
    stream, frames = _frames(tmp_path / ev.clip)
    assert stream.codec == "h264" and stream.pix_fmt == "yuv420p"
    assert stream.seconds == pytest.approx(8.0, abs=0.21)
    # frame k shows the moment 16 s + k/5 s: both files, in order, nothing skipped
    assert [_shown(f) for f in frames] == pytest.approx([16 + k / 5 for k in range(40)], abs=0.11)
    data = (tmp_path / ev.clip).read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: playable while loading

    source = _textured(0)
    staff, customer = _interior(STAFF_BOX), _interior(CUSTOMER_BOX)
    for frame in frames[::10]:
        assert _variance(frame, customer) < 0.05 * _variance(source, customer)
        assert _variance(frame, staff) > 0.5 * _variance(source, staff)

    key = cv2.imread(str(tmp_path / ev.keyframe))
    assert ev.keyframe.endswith(".jpg") and _shown(key) == pytest.approx(21, abs=0.01)
    assert _variance(key, customer) < 0.05 * _variance(source, customer)
    assert ev.reference is None  # a teller's post has no clean reference


def test_a_counter_findings_clean_reference_is_kept_beside_its_key_frame(segments, tmp_path):
    """The zone's clean photo (any size) at the key frame's size, zones drawn on it, named
    after the key frame so the finding's page finds it (api/routes/findings.py)."""
    green = np.full((60, 90, 3), (10, 200, 30), np.uint8)
    desk = ZoneSpec(
        "desk", ZonePurpose.COUNTER_SURFACE, ((0.55, 0.5), (0.95, 0.5), (0.95, 0.9), (0.55, 0.9)),
        reference=green,
    )  # fmt: skip
    req = replace(
        _request(segments, 18, 22, 21, zones=(*ZONES, desk)), item="COUNTER_CLUTTER", zone_id="desk"
    )
    ev = write_evidence(req, StubDetector(), tmp_path, pre_s=2, post_s=2)
    assert ev.reference == reference_path(ev.keyframe)
    key = cv2.imread(str(tmp_path / ev.keyframe))
    clean = cv2.imread(str(tmp_path / ev.reference))
    assert clean.shape == key.shape
    inside = clean[150:200, 200:280].reshape(-1, 3).mean(axis=0)  # within the desk zone
    assert np.abs(inside - (10, 200, 30)).max() < 12
    # the desk's outline is drawn where the key frame has it, the caption is not
    outline = (np.abs(clean.astype(int) - (10, 200, 30)).max(axis=2) > 60)
    assert outline[118:122, 180:300].any() and not outline[-12:, 40:200].any()


def test_caption_is_burned_in_with_the_frames_time(segments, tmp_path):
    """The caption's bright pixels match the caption of the source frame's own time better
    than those of the seconds around it, compared where these captions differ; it names
    the item in Chinese first."""
    assert NAME == "柜员离岗 / 窗口空岗 Teller post unmanned"
    ev = write_evidence(_request(segments, 18, 22, 21), StubDetector(), tmp_path, pre_s=2, post_s=2)
    _, frames = _frames(tmp_path / ev.clip)
    for frame in frames[::7]:
        t = at(_shown(frame))
        texts = [
            caption(NAME, "cam-1", t + timedelta(seconds=s), TZ) for s in (-1, 0, 1)
        ]
        refs = np.stack(
            [_bright(ANNOTATOR.draw(np.zeros_like(frame), [], None, None, x)) for x in texts]
        )
        differ = (refs != refs[:1]).any(axis=(0, 1))  # columns where the times are drawn
        shown = _bright(frame)[:, differ]
        iou = [(shown & r).sum() / max((shown | r).sum(), 1) for r in refs[:, :, differ]]
        assert iou[1] > 0.6 and iou[1] > max(iou[0], iou[2]) + 0.2, (texts, iou)


def _bright(frame: np.ndarray) -> np.ndarray:
    """White caption pixels in the bottom rows (the source's pixels are darker there)."""
    return cv2.cvtColor(frame[-24:], cv2.COLOR_BGR2GRAY) > 200


def test_long_finding_is_cut_to_its_start_and_end(segments, tmp_path):
    ev = write_evidence(
        _request(segments, 5, 35, 30), StubDetector(), tmp_path, pre_s=1, post_s=1, part_s=3
    )
    stream, frames = _frames(tmp_path / ev.clip)
    assert stream.seconds == pytest.approx(2 * 3 + 1, abs=0.21)
    first, card, last = frames[:15], frames[15:20], frames[20:]
    assert [_shown(f) for f in first] == pytest.approx([4 + k / 5 for k in range(15)], abs=0.11)
    assert [_shown(f) for f in last] == pytest.approx([33 + k / 5 for k in range(15)], abs=0.11)
    assert all(f.mean() < 20 for f in card) and all(f.mean() > 50 for f in first + last)
    assert _shown(cv2.imread(str(tmp_path / ev.keyframe))) == pytest.approx(30, abs=0.01)


def test_clip_timing_says_which_wall_clock_second_each_clip_second_shows(segments, tmp_path):
    """What the finding page seeks by: the frame at each part's offset shows its start."""
    req = _request(segments, 5, 35, 30)
    ev = write_evidence(req, StubDetector(), tmp_path, pre_s=1, post_s=1, part_s=3)
    _, frames = _frames(tmp_path / ev.clip)
    timing = clip_timing(req.start, req.end, pre_s=1, post_s=1, part_s=3)
    assert [(a, b, offset) for a, b, offset in timing] == [
        (at(4), at(7), 0.0),
        (at(33), at(36), 4.0),
    ]
    for lo, _, offset in timing:
        for k in (0, 7, 14):  # frames at 5 a second
            shown = _shown(frames[round(offset * 5) + k])
            assert shown == pytest.approx((lo - at(0)).total_seconds() + k / 5, abs=0.11)


def test_a_moment_is_drawn_once_under_a_name_of_its_own(segments, tmp_path):
    req = replace(_request(segments, 5, 35, 30), keytime=at(20))
    rel = write_moment(req, StubDetector(), tmp_path, half_s=2)
    assert rel == "moments/f-1/20240506T010020Z.mp4"
    _, frames = _frames(tmp_path / rel)
    assert [_shown(f) for f in frames] == pytest.approx([18 + k / 5 for k in range(20)], abs=0.11)
    stamp = (tmp_path / rel).stat().st_mtime_ns
    assert write_moment(req, StubDetector(), tmp_path, half_s=2) == rel  # kept: not redrawn
    assert (tmp_path / rel).stat().st_mtime_ns == stamp
    with pytest.raises(EvidenceError, match="not a moment that can be named"):
        write_moment(replace(req, finding_id="../x"), StubDetector(), tmp_path)
    with pytest.raises(EvidenceError, match="no footage of camera cam-1 around"):
        write_moment(replace(req, keytime=at(500)), StubDetector(), tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["20240506T010020Z.mp4"]


@pytest.mark.parametrize(
    "seconds, text", [(26.2, "26 s"), (52 * 60 + 10, "52 min"), (2 * 3600 + 300, "2 h 05 min")]
)
def test_title_card_says_what_was_skipped(seconds, text):
    assert skipped(seconds) == text


def test_same_evidence_twice_is_the_same_files(segments, tmp_path):
    req = _request(segments, 18, 22, 21)
    first = write_evidence(req, StubDetector(), tmp_path, pre_s=1, post_s=1)
    assert write_evidence(req, StubDetector(), tmp_path, pre_s=1, post_s=1) == first
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == sorted([first.clip, first.keyframe])
    name = Path(first.clip)
    assert (
        len(name.parent.name) == 2
        and len(name.stem) == 16
        and name.stem.startswith(name.parent.name)
    )


def test_part_outside_the_files_is_left_out(segments, tmp_path):
    """The finding runs on after the last file: only what was recorded is shown."""
    ev = write_evidence(_request(segments, 37, 60, 38), StubDetector(), tmp_path, pre_s=1, post_s=1)
    _, frames = _frames(tmp_path / ev.clip)
    assert [_shown(f) for f in frames] == pytest.approx([36 + k / 5 for k in range(20)], abs=0.11)


@pytest.mark.parametrize("no_files", [True, False])
def test_no_footage_raises(segments, tmp_path, no_files):
    req = _request(() if no_files else segments, 100, 110, 105)
    with pytest.raises(EvidenceError, match="no footage of camera cam-1"):
        write_evidence(req, StubDetector(), tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no temp file left behind


def test_real_clip_blurs_the_passer_by_not_the_manager(tmp_path):
    """one-by-one: a person leaves the post at 19 s (not at the post: blurred) after one
    stood at it at 17 s (staff: sharp)."""
    path = footage_file("one-by-one-person-detection.mp4")
    site = load_site(DATA / "sites" / "one-by-one.yaml")
    zones = tuple(zone_specs(site, site.camera("room")))
    origin = datetime(2024, 5, 6, 10, 0, tzinfo=TZ)
    segment = probe(path, origin, TZ)
    detector = load_detector("onnx")
    req = EvidenceRequest(
        "f-real", "LOBBY_MANAGER_ABSENT", "room", "table-post",
        origin + timedelta(seconds=20), origin + timedelta(seconds=23),
        origin + timedelta(seconds=19), (segment,), zones,
    )  # fmt: skip
    ev: Evidence = write_evidence(req, detector, tmp_path)
    stream, frames = _frames(tmp_path / ev.clip)
    assert stream.pix_fmt == "yuv420p"
    assert stream.seconds == pytest.approx(11.0, abs=0.21)

    observer = ZoneObserver("room", list(zones))
    sources = {round(s.pts, 1): s.frame for s in sample_video(path, 5.0) if 16.9 < s.pts < 19.1}
    for pts, staff_expected in ((17.0, True), (19.0, False)):
        source, shown = sources[pts], frames[round((pts - 16) * 5)]
        persons = detector.detect(source).in_group("person")
        assert len(persons) == 1
        pixel_zones = observer.pixel_zones((source.shape[1], source.shape[0]))
        is_staff = not customer_heads(persons, pixel_zones, (source.shape[1], source.shape[0]))
        assert is_staff == staff_expected
        head = _interior(persons.xyxy[0])
        ratio = _variance(shown, head) / _variance(source, head)
        assert ratio > 0.6 if staff_expected else ratio < 0.3, (pts, ratio)


def test_a_zone_turns_red_exactly_in_the_state_a_finding_is_made_of():
    """The overlay asks the checklist (rules/checklist.yaml), not a rule of its own."""
    counter, guard = ZonePurpose.COUNTER_SURFACE, ZonePurpose.GUARD
    red = ANNOTATOR.violated
    assert red(ZoneObservation("desk", counter, clutter=0.15))  # above the item's 0.1
    assert not red(ZoneObservation("desk", counter, clutter=0.05))
    assert red(ZoneObservation("desk", counter, clutter_objects=1))
    assert red(ZoneObservation("post", ZonePurpose.TELLER_POST, persons=0, present=False))
    assert not red(ZoneObservation("post", ZonePurpose.TELLER_POST, persons=1, present=True))
    assert red(ZoneObservation("line", ZonePurpose.ONE_METRE_ZONE, persons=2))
    enabled = load_checklist().model_copy(
        update={
            "items": tuple(i.model_copy(update={"enabled": True}) for i in load_checklist().items)
        }
    )
    # items judged over windows and events: no single sample is their violation
    for annotator in (ANNOTATOR, ZoneAnnotator(enabled)):
        assert not annotator.violated(ZoneObservation("door", guard, persons=1, present=True))
        assert not annotator.violated(ZoneObservation("door", guard))
        assert not annotator.violated(ZoneObservation("huddle", ZonePurpose.MEETING, persons=1))
        post = ZoneObservation("post", ZonePurpose.TELLER_POST, 1, True, hand_raised=False)
        assert not annotator.violated(post)


def test_windowed_items_zones_are_labelled_with_what_they_show():
    guard, teller = ZonePurpose.GUARD, ZonePurpose.TELLER_POST
    assert describe(ZoneObservation("door", guard, persons=1, present=True)) == "保安在岗 guard here"
    assert describe(ZoneObservation("door", guard, persons=2)) == "无保安 no guard, 2 人 person(s)"
    assert describe(ZoneObservation("huddle", ZonePurpose.MEETING, persons=3)) == "晨会 3 人 at the meeting"
    up = ZoneObservation("post", teller, 1, True, hand_raised=True)
    assert describe(up) == "有人 manned 举手 HAND UP"
    assert describe(ZoneObservation("post", teller, 1, True, hand_raised=False)) == "有人 manned"


def test_head_region_of_a_box_cut_by_the_frame_bottom_is_its_upper_half():
    zones = ZoneObserver("cam-1", list(ZONES)).pixel_zones((320, 240))
    whole, cut = (200, 40, 260, 140), (200, 140, 260, 240)
    persons = Detections.from_arrays([STAFF_BOX, whole, cut], [0.9] * 3, [0] * 3)
    assert customer_heads(persons, zones, (320, 240)) == [(194, 37, 266, 62), (194, 137, 266, 190)]


def test_slower_recorder_plays_in_real_time(tmp_path):
    """At 4 frames/s every fifth slot of a 5/s clip has no frame: the previous one stays up."""
    path = write_clip(tmp_path / "slow.mp4", 10, fps=4, gop=8)
    req = _request((probe(path, at(0), TZ),), 3, 5, 3)
    ev = write_evidence(req, StubDetector(), tmp_path / "root", pre_s=1, post_s=1)
    _, frames = _frames(tmp_path / "root" / ev.clip)
    assert len(frames) == 19  # 16 frames in [2, 6) and 3 repeats; the last slot has none
    for k, frame in enumerate(frames):
        # the first frame in its slot, or the previous one held over an empty slot
        assert 2 + k / 5 - 0.25 <= read_index(frame) / 4 < 2 + (k + 1) / 5


@pytest.fixture(scope="module")
def gapped(tmp_path_factory):
    """Files 09:00:00-09:00:20 and 09:01:00-09:01:20: no footage for the 40 s between."""
    folder = tmp_path_factory.mktemp("gapped-recordings")
    out = []
    for first in (0, 60):
        path = write_clip(
            folder / f"cam-1_{first}.mp4", 20, frame=lambda i, f=first: _textured(f * FPS + i)
        )
        out.append(probe(path, at(first), TZ))
    return tuple(out)


def _missing(segments, start, end, tmp_path):
    """Evidence of a FOOTAGE_MISSING finding as the nightly run cuts it (pipeline/batch/judge.py)."""
    from pipeline.batch.judge import evidence_requests

    request = EvidenceRequest(
        "f-gap", "FOOTAGE_MISSING", "cam-1", "cam-1", at(start), at(end), at(start), segments, ZONES
    )
    evidence = load_checklist().item("FOOTAGE_MISSING").evidence
    for req, rolls in evidence_requests(request, evidence):
        try:
            return req, write_evidence(req, StubDetector(), tmp_path, **rolls)
        except EvidenceError:
            continue
    raise AssertionError("no evidence at all")


def test_missing_footage_evidence_shows_the_last_seconds_before_and_the_first_after(
    gapped, tmp_path
):
    req, ev = _missing(gapped, 20, 60, tmp_path)
    assert req.keytime == at(17)  # the key frame: the footage just before the gap
    _, frames = _frames(tmp_path / ev.clip)
    shown = [_shown(f) for f in frames if f.mean() > 10]  # not the black title card between
    before = [t for t in shown if t < 30]
    after = [t for t in shown if t >= 30]
    assert before and min(before) >= 14 - 0.11 and max(before) < 20
    assert after and min(after) >= 60 and max(after) <= 66 + 0.11
    assert shown == sorted(shown)
    key = cv2.imdecode(np.frombuffer((tmp_path / ev.keyframe).read_bytes(), np.uint8), 1)
    assert _shown(key) == pytest.approx(17, abs=0.21)


def test_missing_footage_from_the_opening_shows_what_came_after(gapped, tmp_path):
    later = gapped[1:]  # nothing before 09:01:00
    req, ev = _missing(later, 0, 60, tmp_path)
    assert req.keytime == at(60.5)
    _, frames = _frames(tmp_path / ev.clip)
    assert all(_shown(f) >= 60 for f in frames if f.mean() > 10)
