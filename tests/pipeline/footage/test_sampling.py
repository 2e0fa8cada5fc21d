import math
from datetime import datetime

import pytest

from pipeline.footage.coverage import GapReason
from pipeline.footage.recordings import find_segments
from pipeline.footage.sampler import KEYFRAMES, FileSampler, FileTask, SamplingSpec
from pipeline.footage.window import map_files
from tests.support.recordings import DAY, FPS, TZ, at, read_index, write_clip

PATTERN = "{camera}_%Y%m%d_%H%M%S.mp4"
WINDOW = (at(0), at(100))


@pytest.fixture(scope="module")
def day(recordings):
    return find_segments(recordings, PATTERN, "cam-1", TZ, DAY)


def _file_start(sample) -> datetime:
    return datetime.strptime(sample.source.name, "cam-1_%Y%m%d_%H%M%S.mp4").replace(tzinfo=TZ)


def _run(day, **spec):
    return sampled(day, SamplingSpec(**spec), WINDOW)


def sampled(day, spec, window):
    """Every sample of the window in one process, and the window's coverage."""
    per_file, coverage = map_files(list, day, spec, window, workers=1)
    return [s for samples in per_file for s in samples], coverage


@pytest.mark.parametrize("rate", [0.5, 1, 2, KEYFRAMES])
def test_timestamps_match_the_frame_shown(day, rate):
    samples, _ = _run(day, rate=rate)
    for s in samples:
        shown = _file_start(s).timestamp() + read_index(s.frame) / FPS
        assert abs(s.t.timestamp() - shown) < 1 / FPS + 1e-6, s
        assert abs((s.t - _file_start(s)).total_seconds() - s.pts) < 1e-6
    assert all(a.t < b.t for a, b in zip(samples, samples[1:], strict=False))


def test_coverage_is_the_hole_and_the_truncated_tail(day):
    _, cov = _run(day)
    no_file, truncated, after = cov.gaps
    assert (no_file.start, no_file.end, no_file.reason) == (at(30), at(40), GapReason.NO_FILE)
    assert truncated.reason == GapReason.TRUNCATED and truncated.end == at(95)
    assert at(76) < truncated.start < at(94)
    assert (after.start, after.end, after.reason) == (at(95), at(100), GapReason.NO_FILE)
    gap_s = sum((g.end - g.start).total_seconds() for g in cov.gaps)
    assert cov.observed_s + gap_s == pytest.approx(100)


@pytest.mark.parametrize("rate", [0.5, 1, 2])
def test_sample_count_follows_the_rate(day, rate):
    samples, cov = _run(day, rate=rate)
    per_file = {}
    for s in samples:
        per_file.setdefault(s.source.name, []).append(s)
    first, second, third, _ = (len(v) for v in per_file.values())
    assert (first, second) == (30 * rate, 20 * rate)
    # 15 s left after the overlap: whether its odd slot has a frame depends on the phase
    assert math.floor(15 * rate) <= third <= math.ceil(15 * rate)
    assert len(samples) == pytest.approx(cov.observed_s * rate, abs=1)


def test_overlap_is_sampled_once(day):
    samples, _ = _run(day, rate=1)
    in_overlap = [s for s in samples if at(55) <= s.t < at(60)]
    assert {s.source.name for s in in_overlap} == {"cam-1_20240506_090040.mp4"}
    assert len(in_overlap) == 5


def test_keyframe_cadence_decodes_keyframes_only(day):
    samples, _ = _run(day, rate=KEYFRAMES)
    assert {read_index(s.frame) % 20 for s in samples} == {0}  # keyframe every 20 frames


def test_frames_resized_once_to_max_side(day):
    samples, _ = _run(day, rate=0.5, max_side=160)
    assert {s.frame.shape for s in samples} == {(120, 160, 3)}
    assert samples[0].frame.dtype.name == "uint8"


def test_window_limits_samples_and_coverage(day):
    samples, coverage = sampled(day, SamplingSpec(rate=1), (at(10), at(20)))
    assert [s.t for s in samples][0] == at(10) and len(samples) == 10
    assert coverage.gaps == () and coverage.observed_s == 10


def _indices(samples):
    return [(s.t, read_index(s.frame)) for s in samples]


def test_one_process_per_file_gives_the_same_samples(day):
    results, cov = map_files(_indices, day, SamplingSpec(rate=1), WINDOW, workers=2)
    samples, seq_cov = _run(day, rate=1)
    assert [x for r in results for x in r] == _indices(samples)
    assert cov == seq_cov


def test_corrupt_file_is_a_gap_and_the_rest_is_read(day, tmp_path):
    import shutil

    for seg in day.segments[:2]:
        shutil.copy(seg.path, tmp_path / seg.path.name)
    bad = tmp_path / day.segments[0].path.name
    data = bytearray(bad.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 2000] = bytes(2000)  # zeroed in the middle
    bad.write_bytes(data)
    broken = find_segments(tmp_path, PATTERN, "cam-1", TZ, DAY)
    samples, cov = _run(broken, rate=2)
    assert any(g.reason == GapReason.DECODE_ERROR for g in cov.gaps)
    assert any(s.source.name == day.segments[1].path.name for s in samples)
    assert sum(1 for s in samples if s.t >= at(40)) == 40


def test_rate_out_of_range_is_refused():
    with pytest.raises(ValueError, match="rate"):
        SamplingSpec(rate=10)


def test_window_far_into_a_file_seeks_to_it(tmp_path):
    from tests.support.recordings import write_clip

    write_clip(tmp_path / "cam-1_20240506_090000.mp4", 60)
    day = find_segments(tmp_path, PATTERN, "cam-1", TZ, DAY)
    samples, coverage = sampled(day, SamplingSpec(rate=1), (at(45), at(60)))
    assert [round(s.pts) for s in samples] == list(range(45, 60))
    assert [read_index(s.frame) for s in samples] == [10 * i for i in range(45, 60)]
    assert coverage.observed_s == 15


def test_coarse_cadence_between_dense_stretches(day):
    """A caller that needs the full rate only at times gets every coarse slot otherwise,
    on the epoch-aligned grid, from the same pass; the file's coverage is unchanged. The
    answer is asked per GOP (2 s here), so a change takes effect within one GOP."""
    first = day.segments[0]
    wants = {"dense": True}
    sampler = FileSampler(
        FileTask(first, at(0), at(30)), SamplingSpec(rate=1), dense=lambda: wants["dense"],
        coarse_s=3,
    )  # fmt: skip
    times = []
    for s in sampler:
        times.append(s.t)
        wants["dense"] = s.t < at(10) or s.t >= at(20)
    seconds = [round((t - at(0)).total_seconds()) for t in times]
    assert seconds[:11] == list(range(11))  # dense until the sample at 10 s said otherwise
    coarse = [s for s in seconds if 13 <= s < 21]
    assert coarse == [s for s in range(13, 21) if round(at(s).timestamp()) % 3 == 0]
    assert seconds[-7:] == list(range(23, 30))  # dense again after the sample at 21 s
    assert sampler.observed == [(at(0), at(30))] and sampler.gaps == []


def test_intra_only_recording_decodes_one_frame_per_sample(tmp_path):
    """Every frame a keyframe (as some encoders' bursts of scene cuts): one sample a slot,
    each showing the frame its timestamp names."""
    clip = write_clip(tmp_path / "cam-1_20240506_090000.mp4", 12, gop=1)
    segment = find_segments(tmp_path, PATTERN, "cam-1", TZ, DAY).segments[0]
    samples = list(FileSampler(FileTask(segment, at(0), at(12)), SamplingSpec(rate=0.5)))
    assert [round((s.t - at(0)).total_seconds(), 3) for s in samples] == [0, 2, 4, 6, 8, 10]
    assert [read_index(s.frame) for s in samples] == [i * 2 * FPS for i in range(6)]
    assert clip.exists()


def test_native_crops_are_the_recordings_pixels(day):
    """Frames scaled for analysis carry the recording's own pixels: any crop of them is
    the crop of the frame sampled at native size (YUV rounding aside), odd edges included."""
    small, _ = _run(day, rate=0.5, max_side=160, native_crops=True)
    full, _ = _run(day, rate=0.5)
    assert [s.t for s in small] == [s.t for s in full]
    for s, f in zip(small, full, strict=True):
        assert s.frame.shape == (120, 160, 3) and s.native.size == (320, 240)
        for x1, y1, x2, y2 in [(0, 0, 320, 240), (33, 7, 201, 155), (319, 239, 320, 240)]:
            crop = s.native.crop((x1, y1, x2, y2)).astype(int)
            assert crop.shape == (y2 - y1, x2 - x1, 3)
            assert abs(crop - f.frame[y1:y2, x1:x2]).mean() < 3
    assert all(s.native is None for s in full)
