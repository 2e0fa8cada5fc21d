from datetime import timedelta
from pathlib import Path

import pytest

from pipeline.footage.recordings import (
    RecordingsError,
    Segment,
    find_segments,
    parse_start,
    timeline,
)
from tests.support.recordings import DAY, TZ, at, write_clip

PATTERN = "{camera}_%Y%m%d_%H%M%S.mp4"


def test_segments_ordered_with_hole_and_overlap(recordings):
    day = find_segments(recordings, PATTERN, "cam-1", "Asia/Shanghai", DAY)
    assert [s.start for s in day.segments] == [at(0), at(40), at(55), at(75)]
    assert day.segments[0].end == at(30)
    assert day.segments[0].keyframe_interval_s == pytest.approx(2.0)
    assert day.holes == ((at(30), at(40)),)
    assert day.overlaps == ((at(55), at(60)),)


def test_other_days_are_left_out(recordings):
    day = find_segments(recordings, PATTERN, "cam-1", TZ, DAY + timedelta(days=1))
    assert day.segments == () and day.holes == ()


def test_missing_folder_and_unmatched_pattern_are_errors(recordings, tmp_path):
    with pytest.raises(RecordingsError, match="folder not found"):
        find_segments(tmp_path / "nope", PATTERN, "cam-1", TZ, DAY)
    with pytest.raises(RecordingsError, match="no file"):
        find_segments(recordings, "other_%Y%m%d_%H%M%S.mkv", "cam-1", TZ, DAY)


def test_creation_time_when_the_name_says_nothing(tmp_path):
    write_clip(tmp_path / "export.mp4", 2, creation_time="2024-05-06T01:00:05Z")
    day = find_segments(tmp_path, PATTERN, "cam-1", TZ, DAY)
    assert [s.start for s in day.segments] == [at(5)]


def test_unreadable_file_is_a_segment_with_an_error(tmp_path):
    (tmp_path / "cam-1_20240506_090000.mp4").write_bytes(b"not a video" * 100)
    (segment,) = find_segments(tmp_path, PATTERN, "cam-1", TZ, DAY).segments
    assert segment.error and segment.start == at(0) and segment.duration == 0


def test_parse_start_in_branch_time_and_with_offset():
    assert parse_start("c_20240506_090000.mp4", "{camera}_%Y%m%d_%H%M%S.mp4", "c", TZ) == at(0)
    assert parse_start("20240506T010000+0000.ts", "%Y%m%dT%H%M%S%z.ts", "c", TZ) == at(0)
    assert parse_start("c_2024.mp4", "{camera}_%Y%m%d_%H%M%S.mp4", "c", TZ) is None


def test_a_contained_segment_is_an_overlap_not_a_hole():
    outer, inner, after = (
        Segment(Path(f"{a}.mp4"), at(a), at(b), b - a) for a, b in [(0, 60), (10, 20), (70, 80)]
    )
    assert timeline([outer, inner, after]) == (((at(60), at(70)),), ((at(10), at(20)),))
