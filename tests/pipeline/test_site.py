"""The site file: the example of docs/site.md loads; each kind of mistake is named by its path."""

from datetime import date, time
from pathlib import Path

import pytest
import yaml

from detectors.observations import ZonePurpose
from detectors.zones import Anchor, PixelZone
from pipeline.site import SiteError, load_site, parse_site, zone_specs
from tests.conftest import REPO

GOOD = """
branch:
  id: JS-HA-001
  name: 淮安清江浦支行
  region: huaian
  timezone: Asia/Shanghai
business_hours:
  mon-fri: ["09:00", "17:00"]
  sat: ["09:30", "16:00"]
exempt:
  - {from: "12:00", to: "12:30", items: [TELLER_ABSENT]}
cameras:
  - id: lobby-1
    role: lobby
    recordings: {folder: recordings/lobby-1, pattern: "lobby-1_%Y%m%d_%H%M%S.mp4"}
    zones:
      - {id: lm-desk, purpose: lobby_manager, polygon: [[0.50, 0.55], [0.75, 0.55], [0.75, 0.95], [0.50, 0.95]],
         uniform: {color: "#1f2a44", tolerance: 20}}
  - id: counter-1
    role: counter
    recordings: {folder: recordings/counter-1, pattern: "{camera}_%Y%m%d_%H%M%S.mp4"}
    zones:
      - {id: post-1, purpose: teller_post, polygon: [[0.1, 0.2], [0.4, 0.2], [0.4, 0.7], [0.1, 0.7]]}
      - {id: desk-1, purpose: counter_surface, polygon: [[0.1, 0.7], [0.6, 0.7], [0.6, 0.9], [0.1, 0.9]], reference: refs/desk-1.jpg}
"""


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "desk-1.jpg").write_bytes(b"\xff\xd8")
    return tmp_path


def _data() -> dict:
    return yaml.safe_load(GOOD)


def _error(data: dict, root: Path) -> str:
    with pytest.raises(SiteError) as info:
        parse_site(data, root, "site.yaml")
    return str(info.value)


def _anchor(zone) -> Anchor:
    """The anchor the observer uses for a zone of the file (its own, else its purpose's)."""
    return PixelZone.from_normalized(
        zone.id, zone.purpose, zone.polygon, (100, 100), zone.anchor
    ).anchor


def test_spec_example_loads(site_dir):
    (site_dir / "site.yaml").write_text(GOOD, encoding="utf-8")
    site = load_site(site_dir / "site.yaml")
    assert site.branch.name == "淮安清江浦支行"
    assert [c.id for c in site.cameras] == ["lobby-1", "counter-1"]
    counter = site.camera("counter-1")
    assert counter.file_pattern == "counter-1_%Y%m%d_%H%M%S.mp4"
    assert site.resolve(counter.recordings.folder) == site_dir / "recordings" / "counter-1"
    post, desk = counter.zones
    assert post.purpose is ZonePurpose.TELLER_POST and _anchor(post) is Anchor.UPPER_BODY
    assert _anchor(site.camera("lobby-1").zones[0]) is Anchor.FEET
    assert site.camera("lobby-1").zones[0].uniform.bgr == (0x44, 0x2A, 0x1F)
    assert site.exempt[0].start == time(12, 0) and site.exempt[0].items == ("TELLER_ABSENT",)
    saturday = site.schedule().day(date(2026, 11, 28))
    assert saturday.opening.isoformat() == "2026-11-28T09:30:00+08:00"
    assert saturday.closing.isoformat() == "2026-11-28T16:00:00+08:00"
    assert site.schedule().day(date(2026, 11, 29)) is None  # Sunday: closed
    assert site.schedule().day(date(2026, 11, 27)).exempt["TELLER_ABSENT"][0][0].hour == 12


def test_point_outside_the_image(site_dir):
    data = _data()
    data["cameras"][1]["zones"][0]["polygon"][3] = [0.1, 1.2]
    assert "cameras[1].zones[0].polygon: point 3 is outside 0..1" in _error(data, site_dir)


def test_too_few_points(site_dir):
    data = _data()
    data["cameras"][0]["zones"][0]["polygon"] = [[0, 0], [1, 1]]
    assert "cameras[0].zones[0].polygon: needs at least 3 points" in _error(data, site_dir)


def test_unknown_purpose(site_dir):
    data = _data()
    data["cameras"][1]["zones"][1]["purpose"] = "coffee_corner"
    assert "cameras[1].zones[1].purpose: Input should be 'teller_post'" in _error(data, site_dir)


def test_missing_reference_image(tmp_path):
    message = _error(_data(), tmp_path)
    assert "cameras[1].zones[1].reference: file not found: refs/desk-1.jpg" in message


def test_reference_on_a_zone_that_is_not_a_counter(site_dir):
    data = _data()
    data["cameras"][1]["zones"][0]["reference"] = "refs/desk-1.jpg"
    assert "cameras[1].zones[0]: a clean reference image is only for counter_surface" in _error(
        data, site_dir
    )


def test_unquoted_time_is_refused(site_dir):
    data = _data()
    data["business_hours"]["mon-fri"] = [540, "17:00"]  # what YAML makes of 9:00 unquoted
    assert 'business_hours.mon-fri[0]: times are quoted "HH:MM" strings' in _error(data, site_dir)


def test_bad_weekday_and_overlapping_days(site_dir):
    data = _data()
    data["business_hours"] = {"mon-fri": ["09:00", "17:00"], "fri": ["09:00", "12:00"]}
    assert "fri is given twice" in _error(data, site_dir)
    data["business_hours"] = {"mon-fry": ["09:00", "17:00"]}
    assert "unknown weekday in 'mon-fry'" in _error(data, site_dir)


def test_closing_before_opening(site_dir):
    data = _data()
    data["business_hours"]["sat"] = ["16:00", "09:30"]
    assert "sat: closing time must be after opening time" in _error(data, site_dir)


def test_unknown_timezone_and_unknown_key(site_dir):
    data = _data()
    data["branch"]["timezone"] = "Mars/Olympus"
    data["cameras"][0]["fps"] = 25
    message = _error(data, site_dir)
    assert "branch.timezone: unknown time zone 'Mars/Olympus'" in message
    assert "cameras[0].fps: is not a known key" in message


def test_duplicate_camera_and_pattern_without_time(site_dir):
    data = _data()
    data["cameras"][1]["id"] = "lobby-1"
    assert "camera ids must be unique: lobby-1 repeated" in _error(data, site_dir)
    data = _data()
    data["cameras"][0]["recordings"]["pattern"] = "lobby.mp4"
    assert "cameras[0].recordings.pattern: the pattern must give the start time" in _error(
        data, site_dir
    )


ITEMS = """
branch: {id: JS-HA-002, region: huaian}
business_hours: {mon-fri: ["09:00", "17:00"]}
meeting_window: [40, 10]
cameras:
  - id: lobby-1
    recordings: {folder: recordings/lobby-1}
    zones:
      - {id: door, purpose: guard, polygon: [[0, 0.5], [0.3, 0.5], [0.3, 1]], uniform: {color: "#202020"}}
      - {id: atm, purpose: guard, polygon: [[0.7, 0.5], [1, 0.5], [1, 1]]}
      - {id: huddle, purpose: meeting, polygon: [[0.3, 0.2], [0.7, 0.2], [0.7, 0.6]]}
  - id: counter-1
    recordings: {folder: recordings/counter-1}
    zones:
      - {id: post-1, purpose: teller_post, polygon: [[0.1, 0.2], [0.4, 0.2], [0.4, 0.7]]}
      - {id: post-2, purpose: teller_post, polygon: [[0.5, 0.2], [0.8, 0.2], [0.8, 0.7]]}
      - {id: line-1, purpose: one_metre_zone, post: post-1, polygon: [[0.1, 0.8], [0.4, 0.8], [0.4, 1]]}
"""


def test_patrol_points_meeting_zone_and_linked_window_load(tmp_path):
    site = parse_site(yaml.safe_load(ITEMS), tmp_path)
    schedule = site.schedule()
    day = schedule.day(date(2026, 11, 27))
    assert [t.isoformat() for t in day.meeting] == [
        "2026-11-27T08:20:00+08:00",
        "2026-11-27T08:50:00+08:00",
    ]
    [line] = [z for z in schedule.zones if z.zone_id == "line-1"]
    assert line.post == "post-1"
    assert site.camera("lobby-1").sees_meeting and not site.camera("counter-1").sees_meeting
    specs = {s.zone_id: s for c in site.cameras for s in zone_specs(site, c)}
    assert specs["post-1"].hand_raise and not specs["post-2"].hand_raise
    assert specs["door"].uniform_bgr == (0x20, 0x20, 0x20)
    assert _anchor(site.camera("lobby-1").zones[2]) is Anchor.FEET
    default = yaml.safe_load(ITEMS)
    del default["meeting_window"]
    assert parse_site(default, tmp_path).schedule().day(date(2026, 11, 27)).meeting[0].hour == 8


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["cameras"][1]["zones"][2].update(post="post-9"),
            "zone 'line-1' on camera 'counter-1' names post 'post-9', which is no teller_post",
        ),
        (
            lambda d: d["cameras"][1]["zones"][2].update(post="door"),
            "names post 'door', which is no teller_post zone of the site",
        ),
        (
            lambda d: d["cameras"][1]["zones"][0].update(post="post-2"),
            "cameras[1].zones[0]: a teller post is named only by one_metre_zone zones",
        ),
        (
            lambda d: d["cameras"][1]["zones"][0].update(uniform={"color": "#000000"}),
            "cameras[1].zones[0]: a uniform reference is only for lobby_manager and guard zones",
        ),
        (
            lambda d: d.update(meeting_window=[5, 45]),
            "meeting_window: [from, to] minutes before opening, with from > to ≥ 0",
        ),
    ],
)
def test_mistakes_in_the_items_keys_are_named_by_path(tmp_path, edit, message):
    data = yaml.safe_load(ITEMS)
    edit(data)
    assert message in _error(data, tmp_path)


def test_one_place_seen_by_two_cameras_keeps_its_purpose(site_dir):
    data = _data()
    data["cameras"][1]["zones"].append(
        {"id": "lm-desk", "purpose": "lobby", "polygon": [[0, 0], [1, 0], [1, 1]]}
    )
    assert "zone 'lm-desk' has purpose lobby on camera 'counter-1'" in _error(data, site_dir)
    data["cameras"][1]["zones"][-1]["purpose"] = "lobby_manager"
    parse_site(data, site_dir)  # same place, same purpose: allowed


def test_unreadable_files(tmp_path):
    with pytest.raises(SiteError, match="site file not found"):
        load_site(tmp_path / "none.yaml")
    (tmp_path / "bad.yaml").write_text("branch: [unclosed", encoding="utf-8")
    with pytest.raises(SiteError, match="not valid YAML"):
        load_site(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(SiteError, match="a site file is a mapping"):
        load_site(tmp_path / "list.yaml")


def test_the_docs_reference_is_the_models_own():
    """docs/site.md's site-file table is generated from the models' titles and descriptions."""
    from pipeline.site import site_reference

    page = (REPO / "docs" / "site.md").read_text(encoding="utf-8")
    start, end = "<!-- site-reference -->\n", "\n<!-- /site-reference -->"
    table = page[page.index(start) + len(start) : page.index(end)]
    assert table == site_reference()
    assert "`cameras[].zones[].anchor`" in table and "`exempt[].from`" in table
