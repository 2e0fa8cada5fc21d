"""Long GOPs under a cadence (pipeline/footage/sampler.py): recordings made from the real
clip of a person at a table, 25 fps, as NVRs write them with keyframes far apart — H.265
with a dynamic GOP (a keyframe every 4-10 s) and H.264 with one every 10 s. Where the
caller does not need the full rate the keyframes are the samples and little else is
decoded; where it does, every slot. What is decoded is counted by the sampler itself."""

from datetime import datetime, timedelta

import av
import pytest

from pipeline.footage.recordings import probe
from pipeline.footage.sampler import FileSampler, FileTask, SamplingSpec
from sample_videos.recordings import nvr_encode
from tests.support.recordings import TZ

CLIP = "one-by-one-person-detection.mp4"
FPS = 25
GOPS_S = (4.0, 7.0, 10.0, 5.0, 9.0, 6.0)  # the dynamic GOP, in turn
START = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)
GAP_S = 10.0  # the default checklist's max_gap_s
RATE = 0.5  # the run's default: a slot every 2 s


@pytest.fixture(scope="module", params=["h265-dynamic", "h264-gop10"])
def recording(request, footage, tmp_path_factory):
    """(segment, keyframe times from its start, frame count): the whole clip (139 s at
    10 fps), its frames re-timed at 25 fps (56 s), no B-frames (recorders' own streams)."""
    codec, gops = ("libx265", GOPS_S) if request.param == "h265-dynamic" else ("libx264", (10.0,))
    path = tmp_path_factory.mktemp("longgop") / f"{request.param}.mp4"
    nvr_encode(footage / CLIP, path, fps=FPS, gops_s=gops, codec=codec, b_frames=False)
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        packets = [p for p in c.demux(s) if p.size]
        keys = [float(p.pts * s.time_base) for p in packets if p.is_keyframe]
    segment = probe(path, START, TZ)
    assert segment is not None and segment.keyframe_interval_s > 2 / RATE  # long GOPs
    return segment, keys, len(packets)


def _sample(segment, **cadence):
    sampler = FileSampler(
        FileTask(segment, segment.start, segment.end), SamplingSpec(rate=RATE), **cadence
    )
    seconds = []
    for s in sampler:
        seconds.append(round((s.t - START).total_seconds(), 2))
        dense = cadence.get("dense")
        if hasattr(dense, "seen"):
            dense.seen = seconds[-1]
    assert sampler.gaps == [] and sampler.observed == [(segment.start, segment.end)]
    return seconds, sampler.decoded


class Between:
    """The caller's answer: the full rate while the last sample lies in [lo, hi)."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi, self.seen = lo, hi, None

    def __call__(self) -> bool:
        return self.seen is not None and self.lo <= self.seen < self.hi


def test_the_keyframes_are_the_coarse_samples(recording):
    """Nothing needs the full rate: one decoded frame per sample, the keyframes, and after
    a keyframe 10 s from the next the frame after it, so no two samples are more than
    max_gap_s apart (farther is unknown time). The full-rate pass decodes most frames
    (every GOP up to its last slot)."""
    segment, keys, frames = recording
    seconds, decoded = _sample(segment, dense=lambda: False, coarse_s=6.0, gap_s=GAP_S)
    end = segment.duration
    bridged = [k for k, nxt in zip(keys, [*keys[1:], end], strict=True) if nxt - k >= GAP_S]
    assert seconds == sorted([*keys, *(round(k + 1 / FPS, 2) for k in bridged)])
    assert decoded == len(seconds)
    spacing = [b - a for a, b in zip(seconds, [*seconds[1:], end], strict=False)]
    assert max(spacing) <= GAP_S
    full, full_decoded = _sample(segment)
    assert full == [2.0 * i for i in range(len(full))]
    assert full_decoded > 0.75 * frames and decoded < full_decoded / 50


def test_without_gap_s_the_coarse_grid_decodes_into_each_gop(recording):
    """What the cadence cost before: the coarse grid's slots lie inside the GOPs, and each
    is reached by decoding from the keyframe."""
    segment, keys, frames = recording
    seconds, decoded = _sample(segment, dense=lambda: False, coarse_s=6.0)
    _, keyed = _sample(segment, dense=lambda: False, coarse_s=6.0, gap_s=GAP_S)
    assert all(round((START.timestamp() + s) % 6, 2) == 0 for s in seconds)
    assert decoded > 15 * keyed


def test_the_full_rate_only_where_it_is_asked_for(recording):
    """Dense while the last sample lies in 20-30 s: from the first sample there up to the
    first at or after 30 s, every slot of the full-rate pass and nothing else; elsewhere
    keyframes and what keeps them within max_gap_s. Decoded: that stretch's frames from
    its keyframe, and about one frame per sample elsewhere."""
    segment, keys, _ = recording
    seconds, decoded = _sample(segment, dense=Between(20.0, 30.0), coarse_s=6.0, gap_s=GAP_S)
    full, _ = _sample(segment)
    s0 = min(s for s in seconds if s >= 20.0)
    assert s0 < 30.0 and s0 in keys  # a keyframe saw the change
    stretch = [s for s in seconds if s0 < s <= 30.0]
    assert stretch == [f for f in full if s0 < f <= 30.0]
    assert len(stretch) >= 4
    outside = [s for s in seconds if not s0 <= s <= 30.0]
    assert sum(s not in keys for s in outside) <= len(keys)  # at most one bridge per GOP
    spacing = [b - a for a, b in zip(seconds, [*seconds[1:], segment.duration], strict=False)]
    assert max(spacing) <= GAP_S
    # each GOP of the stretch decoded from its keyframe to its last sample (no B-frames:
    # every frame decoded); about a frame a sample elsewhere
    taken = [s0, *stretch]
    stretch_frames = 0
    for key, nxt in zip(keys, [*keys[1:], segment.duration], strict=True):
        mine = [s for s in taken if key <= s < nxt]
        if mine:
            stretch_frames += round((mine[-1] - key) * FPS) + 1
    rest = len(seconds) - len(taken)
    assert stretch_frames <= decoded <= stretch_frames + 2 * rest + 3


def test_a_change_on_a_keyframe_turns_its_own_gop_dense(recording):
    """The caller asks for the full rate right after a keyframe's sample: the rest of that
    GOP comes at the full rate (decoded again from the keyframe), not from the next one."""
    segment, keys, _ = recording
    key, nxt = next((k, n) for k, n in zip(keys, keys[1:], strict=False) if n - k >= 6)
    seconds, _ = _sample(segment, dense=Between(key, key + 0.01), coarse_s=6.0, gap_s=GAP_S)
    after = [s for s in seconds if key < s < nxt]
    assert key in seconds and after[0] == (int(key / 2) + 1) * 2.0  # the next slot


def test_dense_settling_mid_gop_stops_the_decoding_there(recording):
    """Dense until a sample at or after 12 s: the GOP holding 12 s is decoded only up to
    that sample, not to its end (the next keyframe is less than max_gap_s away)."""
    segment, keys, _ = recording
    seconds, decoded = _sample(segment, dense=Between(-1.0, 12.0), coarse_s=6.0, gap_s=GAP_S)
    assert [s for s in seconds if s <= 12.0] == [2.0 * i for i in range(7)]
    nxt = min(k for k in keys if k > 12.0)
    assert nxt - 12.0 < GAP_S and [s for s in seconds if 12.0 < s < nxt] == []
    later = [s for s in seconds if s >= nxt]
    # the first keyframe twice (alone, then again when the caller turned dense)
    assert decoded <= round(12.0 * FPS) + 2 + 2 * len(later)


def test_samples_stay_in_order_whatever_the_caller_asks(recording):
    segment, _, _ = recording
    answers = iter([True, False, True, True, False, False, True] * 400)
    seconds, _ = _sample(segment, dense=lambda: next(answers), coarse_s=6.0, gap_s=GAP_S)
    assert all(a < b for a, b in zip(seconds, seconds[1:], strict=False))
    assert START + timedelta(seconds=seconds[-1]) < segment.end
