"""`branch-audit site check` on a real clip exported under a Hikvision name: the files it
matches and skips, and the zones drawn where their polygons say on a real frame."""

from datetime import datetime

import av
import cv2
import numpy as np
import pytest

from cli import main as cli
from detectors.observations import ZonePurpose
from pipeline.evidence.overlay import ZONE_COLOURS
from sample_videos.recordings import nvr_encode
from tests.support.recordings import TZ

SITE = """
branch: {id: B1, timezone: Asia/Shanghai}
business_hours: {mon-fri: ["09:00", "17:00"]}
cameras:
  - id: lobby-1
    recordings: {folder: lobby, pattern: "*_01_R_%Y%m%d%H%M%S.mp4"}
    zones:
      - {id: desk, purpose: lobby, polygon: [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]}
  - id: door
    recordings: {folder: door, pattern: "door_%Y%m%d_%H%M%S.mp4"}
"""


@pytest.fixture
def site(footage, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("cli.site",))
    start = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)
    nvr_encode(footage / "bottle-detection.mp4", tmp_path / "lobby" / start.strftime(
        "1_01_R_%Y%m%d%H%M%S.mp4"), fps=10, seconds=(0.0, 3.0))  # fmt: skip
    (tmp_path / "lobby" / "readme.txt").write_text("exported by the NVR")
    path = tmp_path / "site.yaml"
    path.write_text(SITE, encoding="utf-8")
    return path


def test_site_check_lists_files_and_draws_the_zones_where_the_polygon_says(site, capsys):
    out = site.parent / "check"
    status = cli.main(["site", "check", str(site), "--date", "2026-11-27", "--out", str(out)])
    text = capsys.readouterr().out
    assert status == 1  # the door camera's folder is missing
    # 3 s of the 30-frame/s clip re-timed at 10 frames/s: 09:00:00 to 09:00:09
    assert "09:00:00-09:00:09  1_01_R_20261127090000.mp4  ok" in text
    assert "skipped readme.txt: its name does not match" in text
    assert "recordings folder not found" in text

    picture = cv2.imread(str(out / "lobby-1.png"))
    with av.open(str(next((site.parent / "lobby").glob("*.mp4")))) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="bgr24")
    assert picture.shape == frame.shape == (360, 640, 3)
    colour = np.array(ZONE_COLOURS[ZonePurpose.LOBBY])
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = (
        round(0.25 * (w - 1)),
        round(0.25 * (h - 1)),
        round(0.75 * (w - 1)),
        round(0.75 * (h - 1)),
    )
    # the zone's edges in its colour where the polygon runs (the label sits at its top left)
    for x, y in [((x1 + x2) // 2, y2), (x1, (y1 + y2) // 2 + 20), (x2, (y1 + y2) // 2)]:
        assert np.abs(picture[y, x].astype(int) - colour).max() < 60, (x, y)
    # inside and outside it the real frame is untouched
    for x, y in [((x1 + x2) // 2, (y1 + y2) // 2), (20, h // 2), (w - 20, 20)]:
        assert np.abs(picture[y, x].astype(int) - frame[y, x].astype(int)).max() <= 2, (x, y)


def test_a_bad_pattern_is_refused_with_its_place(site, capsys):
    site.write_text(SITE.replace("door_%Y%m%d_%H%M%S.mp4", "door_%H%M%S_%H%M%S_%H%M%S.mp4"))
    assert cli.main(["site", "check", str(site)]) == 2
    assert "cameras[1].recordings.pattern: %H appears three times" in capsys.readouterr().err
