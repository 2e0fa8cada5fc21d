"""File-name shapes as NVRs export them, read to their start and end times."""

from datetime import datetime

import pytest

from pipeline.footage.names import PatternError, compile_pattern
from pipeline.site import SiteError, parse_site
from tests.support.recordings import TZ


def t(h, m, s, day=27):
    return datetime(2026, 11, day, h, m, s, tzinfo=TZ)


SHAPES = [
    # (pattern, camera, file name, start, end)
    ("{camera}_%Y%m%d_%H%M%S.mp4", "cam-1", "cam-1_20261127_090000.mp4", t(9, 0, 0), None),
    ("{camera}_%Y%m%d_%H%M%S.mp4", "cam-1", "cam-2_20261127_090000.mp4", None, None),
    # Hikvision export: device index, channel, R(ecording), start
    ("*_01_R_%Y%m%d%H%M%S.mp4", "c", "1_01_R_20261127090000.mp4", t(9, 0, 0), None),
    ("*_01_R_%Y%m%d%H%M%S.mp4", "c", "192.168.1.64_01_R_20261127093015.mp4", t(9, 30, 15), None),
    ("*_01_R_%Y%m%d%H%M%S.mp4", "c", "1_02_R_20261127090000.mp4", None, None),
    # Dahua export: start, then end
    (
        "ch02_main_%Y%m%d%H%M%S_%Y%m%d%H%M%S.dav", "c",
        "ch02_main_20261127090000_20261127093000.dav", t(9, 0, 0), t(9, 30, 0),
    ),
    (
        "{camera}_main_%Y%m%d%H%M%S_%Y%m%d%H%M%S.dav", "ch02",
        "ch02_main_20261127235000_20261128001000.dav", t(23, 50, 0), t(0, 10, 0, day=28),
    ),
    # Dahua's on-disk name: clock times only, the date from the folder's pattern elsewhere;
    # an end before the start runs past midnight
    (
        "%Y%m%d_%H.%M.%S-%H.%M.%S*.dav", "c",
        "20261127_23.50.00-00.10.00[R][0@0][0].dav", t(23, 50, 0), t(0, 10, 0, day=28),
    ),
    ("%Y%m%dT%H%M%S%z.ts", "c", "20261127T010000+0000.ts", t(9, 0, 0), None),
    ("%Y%m%d%H%M%S.mp4", "c", "20261131090000.mp4", None, None),  # no 31 November
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "camera", "name", "start", "end"), SHAPES)
def test_name_shapes_give_their_times(pattern, camera, name, start, end):
    times = compile_pattern(pattern).times(name, camera, TZ)
    if start is None:
        assert times is None
    else:
        assert (times.start, times.end) == (start, end)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("cam.mp4", "must give the start time"),
        ("%Y%m%d.mp4", "must give the start time"),
        ("%H%M%S_%H%M%S_%H%M%S.mp4", "three times"),
        ("%Y%m%d%H%M%S_%Y%m%d.mp4", "repeats no time of day"),
        ("%Y%m%d%H%M%S%Q.mp4", "%Q is not a code"),
        ("%H%M%S%", "lone %"),
    ],
)
def test_unusable_patterns_say_why(pattern, why):
    with pytest.raises(PatternError, match=why):
        compile_pattern(pattern)


def _site(*patterns: str) -> dict:
    return {
        "branch": {"id": "B1"},
        "business_hours": {"mon-fri": ["09:00", "17:00"]},
        "cameras": [
            {"id": f"ch0{i}", "recordings": {"folder": f"ch0{i}", "pattern": p}}
            for i, p in enumerate(patterns, 1)
        ],
    }


def test_site_loads_start_and_end_names_and_refuses_a_bad_pattern_in_its_place(tmp_path):
    dahua = "{camera}_main_%Y%m%d%H%M%S_%Y%m%d%H%M%S.dav"
    site = parse_site(_site("*_01_R_%Y%m%d%H%M%S.mp4", dahua), tmp_path)
    assert site.cameras[1].file_pattern == "ch02_main_%Y%m%d%H%M%S_%Y%m%d%H%M%S.dav"
    with pytest.raises(SiteError) as err:
        parse_site(_site(dahua, "%H%M%S_%H%M%S_%H%M%S.dav"), tmp_path)
    assert "cameras[1].recordings.pattern: %H appears three times" in str(err.value)
    assert "cameras[0]" not in str(err.value)
