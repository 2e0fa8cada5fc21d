"""Recordings in the shapes NVRs export, made from a real clip (sample_videos/
recordings.py): H.265 and H.264 in MPEG-TS and in MPEG-PS, whose program-stream muxer
leaves most packets without a timestamp."""

from datetime import datetime, timedelta

import av
import numpy as np
import pytest

from pipeline.footage.recordings import find_segments
from pipeline.footage.sampler import SamplingSpec
from pipeline.footage.window import map_files, sample_window
from sample_videos.recordings import nvr_encode, remux
from tests.support.recordings import TZ

CLIP = "one-by-one-person-detection.mp4"
FPS = 25
SECONDS = 40
DAY = datetime(2026, 11, 27, tzinfo=TZ).date()
START = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)


def _name(fmt: str) -> str:
    end = START + timedelta(seconds=SECONDS)
    return f"ch02_main_{START:%Y%m%d%H%M%S}_{end:%Y%m%d%H%M%S}.{fmt}"


@pytest.fixture(scope="module")
def exports(footage, tmp_path_factory):
    """{(codec, container): folder with one 40-s file of 09:00:00-09:00:40, Dahua-named}"""
    root = tmp_path_factory.mktemp("nvr")
    out = {}
    for codec, gop_s in (("h264", 2.0), ("h265", 4.0)):
        ts = nvr_encode(
            footage / CLIP, root / codec / "ts" / _name("ts"), fps=FPS, gop_s=gop_s,
            seconds=(0.0, SECONDS * FPS / 10),  # the clip is 10 frames/s, re-timed at 25
            codec=f"lib{codec.replace('h', 'x')}", b_frames=False,
        )  # fmt: skip
        out[codec, "ts"] = ts.parent
        out[codec, "ps"] = remux(ts, root / codec / "ps" / _name("dav"), "mpeg").parent
    return out


PATTERN = "ch02_main_%Y%m%d%H%M%S_%Y%m%d%H%M%S.*"


def _day(folder):
    return find_segments(folder, PATTERN, "ch02", TZ, DAY)


@pytest.mark.parametrize("codec", ["h264", "h265"])
def test_program_stream_packets_lack_timestamps_yet_read_to_full_coverage(exports, codec):
    folder = exports[codec, "ps"]
    with av.open(str(next(folder.iterdir()))) as c:
        packets = [p for p in c.demux(c.streams.video[0]) if p.size]
    assert sum(p.pts is None for p in packets) > len(packets) / 6  # as NVRs' PS exports

    window = (START, START + timedelta(seconds=SECONDS))
    spec = SamplingSpec(rate=1.0)
    counts, cov = map_files(_count, _day(folder), spec, window, workers=1)
    assert cov.gaps == () and cov.observed == (window,)
    assert counts == [SECONDS]

    # the same packets in a transport stream, where every one has its time: same samples
    ps = list(sample_window(_day(folder).segments, window, spec))
    ts = list(sample_window(_day(exports[codec, "ts"]).segments, window, spec))
    assert (
        [s.t for s in ps]
        == [s.t for s in ts]
        == [START + timedelta(seconds=i) for i in range(SECONDS)]
    )
    assert all(np.array_equal(a.frame, b.frame) for a, b in zip(ps, ts, strict=True))


def _count(samples) -> int:
    return sum(1 for _ in samples)


def test_a_dahua_name_gives_the_end_checked_against_the_duration(exports):
    (segment,) = _day(exports["h265", "ps"]).segments
    assert segment.start == START and segment.end == START + timedelta(seconds=SECONDS)
    assert segment.note is None
    assert segment.keyframe_interval_s == pytest.approx(4.0)


@pytest.mark.parametrize("container", ["ts", "ps"])
@pytest.mark.parametrize("offset", [33.5, 37.9])
def test_h265_frames_between_keyframes_far_into_a_file(exports, container, offset):
    """A key frame's window starts between keyframes (every 4 s) past the seek threshold:
    the byte-wise seek of an index-less container lands after the keyframe before it, so
    the sampler steps back; the frame is the one a decode from the file's start shows."""
    day = _day(exports["h265", container])
    lo = START + timedelta(seconds=offset)
    got = list(sample_window(day.segments, (lo, lo + timedelta(seconds=1)), SamplingSpec(rate=5.0)))
    # a program stream's timestamp now and then lands one frame late (packets.py)
    assert [(s.t - lo).total_seconds() for s in got] == pytest.approx(
        [0.02, 0.1, 0.3, 0.5, 0.7, 0.9], abs=0.041 if container == "ps" else 1e-6
    )
    # the same packets in a transport stream, decoded from its start
    with av.open(str(_day(exports["h265", "ts"]).segments[0].path)) as c:
        stream = c.streams.video[0]
        first = next(
            f for f in c.decode(stream)
            if (f.pts - stream.start_time) * stream.time_base >= offset
        ).to_ndarray(format="bgr24")  # fmt: skip
    assert np.array_equal(got[0].frame, first)


class NoOne:
    """A detector that sees nobody: the evidence shows the recording and the zones only."""

    version = "none"

    def detect(self, frame):
        from detectors.detections import Detections

        return Detections.empty()


def test_evidence_from_h265_ts_at_a_time_between_keyframes(exports, tmp_path):
    from pipeline.evidence import EvidenceRequest, write_evidence

    day = _day(exports["h265", "ts"])
    key = START + timedelta(seconds=33.5)
    req = EvidenceRequest(
        "f-1", "TELLER_ABSENT", "ch02", "post", key - timedelta(seconds=2), key, key,
        day.segments, (),
    )  # fmt: skip
    evidence = write_evidence(req, NoOne(), tmp_path)
    with av.open(str(tmp_path / evidence.clip)) as clip:
        frames = sum(1 for _ in clip.decode(video=0))
    # every 5-per-second slot the finding and its rolls (27.5-37.5 s) touch: no hole
    slots = {int(n / FPS * 5) for n in range(round(27.5 * FPS), round(37.5 * FPS))}
    assert frames == len(slots) == 51
    assert (tmp_path / evidence.keyframe).stat().st_size > 0


def test_d1_substream_evidence_is_shown_at_its_picture_aspect(footage, tmp_path):
    """vtest.avi (768×576, square pixels) as a D1 substream stores it: 704×576 pixels
    12/11 wide. The key frame and the clip are 768×576 again and show the source's picture
    (a squeezed one would be 704 wide)."""
    from fractions import Fraction

    import cv2

    from pipeline.evidence import EvidenceRequest, write_evidence

    name = START.strftime("d1_%Y%m%d%H%M%S.ts")
    nvr_encode(footage / "vtest.avi", tmp_path / "d1" / name, fps=10, size=(704, 576),
               seconds=(0.0, 6.0), sar=Fraction(12, 11))  # fmt: skip
    day = find_segments(tmp_path / "d1", "d1_%Y%m%d%H%M%S.ts", "d1", TZ, DAY)
    key = START + timedelta(seconds=3)
    req = EvidenceRequest("f-2", "TELLER_ABSENT", "d1", "post", key, key, key, day.segments, ())
    evidence = write_evidence(req, NoOne(), tmp_path / "evidence")
    shown = cv2.imread(str(tmp_path / "evidence" / evidence.keyframe))
    assert shown.shape == (576, 768, 3)
    with av.open(str(tmp_path / "evidence" / evidence.clip)) as clip:
        assert (clip.streams.video[0].width, clip.streams.video[0].height) == (768, 576)
    with av.open(str(footage / "vtest.avi")) as src:
        source = next(f for i, f in enumerate(src.decode(video=0)) if i == 30)
        source = source.to_ndarray(format="bgr24")
    below_caption = slice(100, 576)
    diff = np.abs(shown[below_caption].astype(int) - source[below_caption].astype(int))
    assert diff.mean() < 10  # the same picture, people the same width
