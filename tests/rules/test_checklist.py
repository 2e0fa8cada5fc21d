"""The checklist as data: the shipped file holds the spec's items and numbers, a bank's file is validated."""

from __future__ import annotations

import pytest
import yaml

from detectors.config_base import ConfigError
from detectors.observations import Cadence, ZoneObservation, ZonePurpose
from rules.checklist import DEFAULT_CHECKLIST, load_checklist


def test_default_checklist_holds_the_spec_items():
    checklist = load_checklist()
    table = {
        i.code: (i.trigger.duration_s, i.trigger.window_s, i.deduction, i.cap)
        for i in checklist.items
    }
    assert table == {
        "LOBBY_MANAGER_ABSENT": (600, None, 2, 10),
        "TELLER_ABSENT": (300, None, 2, 10),
        "PHONE_USE": (10, 30, 2, 10),
        "COUNTER_CLUTTER": (300, None, 1, 5),
        "COUNTER_CROWDING": (60, None, 1, 5),
        "GUARD_IDLE": (1800, None, 1, 5),
        "MORNING_MEETING": (600, None, 1, 1),
        "HAND_RAISE": (5, None, 1, 5),
        "FOOTAGE_MISSING": (600, None, 2, 10),
    }
    assert [i.code for i in checklist.enabled][-1] == "FOOTAGE_MISSING"
    assert [i.code for i in checklist.items if not i.enabled] == ["HAND_RAISE"]
    patrol, meeting = (
        checklist.item("GUARD_IDLE").evidence,
        checklist.item("MORNING_MEETING").evidence,
    )
    assert (patrol.signal, patrol.min_points, patrol.visit_s) == ("patrol", 2, 4)
    assert (meeting.signal, meeting.min_persons) == ("meeting", 3)
    hand = checklist.item("HAND_RAISE")
    assert (hand.evidence.within_s, hand.trigger.count) == (10, 3)
    assert {checklist.item(c).name_zh for c in ("MORNING_MEETING", "HAND_RAISE")} == {
        "晨会未开",
        "未举手示意",
    }
    assert checklist.min_coverage == 0.9
    h = checklist.hysteresis
    assert (h.confirm_ok_at, h.start_below, h.end_at) == (0.6, 0.2, 0.5)
    assert checklist.item("LOBBY_MANAGER_ABSENT").name_zh.startswith("大堂经理脱岗")


def _code(data, code):
    return next(item for item in data["items"] if item["code"] == code)


def _bank_file(tmp_path, edit):
    data = yaml.safe_load(DEFAULT_CHECKLIST.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_bank_file_can_change_numbers(tmp_path):
    def edit(data):
        data["items"][1]["trigger"]["duration_s"] = 180
        data["hysteresis"]["start_below"] = 0.1

    checklist = load_checklist(_bank_file(tmp_path, edit))
    assert checklist.item("TELLER_ABSENT").trigger.duration_s == 180
    assert checklist.hysteresis.start_below == 0.1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["items"][2].update(cap=-1), "items[2].cap: must be ≥ 0"),
        (lambda d: d["items"][0].pop("deduction"), "items[0].deduction: is required"),
        (lambda d: d["items"][1].update(colour="red"), "items[1].colour: is not a known key"),
        (
            lambda d: d["items"][2]["trigger"].update(window_s=5),
            "items[2].trigger: window_s must be ≥ duration_s",
        ),
        (
            lambda d: d["hysteresis"].update(start_below=0.7),
            "hysteresis: need start_below < end_at ≤ confirm_ok_at",
        ),
        (
            lambda d: d["items"].append(dict(d["items"][0])),
            "(top level): duplicate item codes: LOBBY_MANAGER_ABSENT",
        ),
        (lambda d: d["items"][3]["evidence"].update(signal="smell"), "items[3].evidence"),
        (
            lambda d: _code(d, "GUARD_IDLE").update(scope="zone"),
            "items[5]: a patrol item is judged with scope: purpose",
        ),
        (
            lambda d: _code(d, "MORNING_MEETING")["trigger"].update(window_s=900),
            "items[6]: a meeting item takes no trigger.window_s",
        ),
        (
            lambda d: _code(d, "HAND_RAISE")["trigger"].pop("count"),
            "items[7]: trigger.count is for hand_raise items, and they need it",
        ),
        (
            lambda d: d["items"][1]["trigger"].update(count=2),
            "items[1]: trigger.count is for hand_raise items",
        ),
        (
            lambda d: _code(d, "GUARD_IDLE")["evidence"].update(min_points=1),
            "items[5].evidence.patrol.min_points: must be ≥ 2",
        ),
    ],
)
def test_invalid_files_are_reported_by_path(tmp_path, edit, message):
    with pytest.raises(ConfigError) as error:
        load_checklist(_bank_file(tmp_path, edit))
    assert message in str(error.value)
    assert str(tmp_path / "bank.yaml") in str(error.value)


def test_cadence_follows_the_items_timings(tmp_path):
    """Dense samples where an item's timing is short (a guard's 4-s visits), while occupied
    for phones, coarse where every timing spans ten coarse samples (absence, clutter, the
    one-metre line, the meeting); a bank's own numbers move a purpose between them."""
    c = load_checklist()
    assert c.coarse_s == pytest.approx(0.6 * c.sampling.max_gap_s)
    need = c.cadence()
    assert need[ZonePurpose.TELLER_POST] is Cadence.OCCUPIED
    assert need[ZonePurpose.LOBBY_MANAGER] is Cadence.OCCUPIED
    assert need[ZonePurpose.GUARD] is Cadence.DENSE
    for purpose in (ZonePurpose.COUNTER_SURFACE, ZonePurpose.ONE_METRE_ZONE, ZonePurpose.MEETING):
        assert need[purpose] is Cadence.COARSE

    def edit(data):
        for item in data["items"]:
            if item["code"] == "COUNTER_CROWDING":
                item["trigger"]["duration_s"] = 20
            if item["code"] == "HAND_RAISE":
                item["enabled"] = True

    bank = load_checklist(_bank_file(tmp_path, edit)).cadence()
    assert bank[ZonePurpose.ONE_METRE_ZONE] is Cadence.DENSE  # 20 s, and arrivals for greetings
    assert bank[ZonePurpose.TELLER_POST] is Cadence.DENSE  # greetings within 10 s of arrivals


def test_a_zone_changes_for_settling_only_where_an_item_reads_it():
    """What the items read of a zone in one sample (the cadence settles on it,
    pipeline/batch/units.py): two persons in a one-metre zone crowd it, a third or fourth
    changes nothing; a person leaving a post or a clutter object appearing does; a meeting
    zone counts its heads against min_persons; a lobby zone no item reads never changes."""
    c = load_checklist()

    def zone(purpose, **fields):
        return c.reading(ZoneObservation("z", purpose, **fields))

    line = ZonePurpose.ONE_METRE_ZONE
    assert zone(line, persons=3) == zone(line, persons=4) == zone(line, persons=2)
    assert zone(line, persons=1) != zone(line, persons=2)
    post = ZonePurpose.TELLER_POST
    assert zone(post, persons=1, present=True) == zone(post, persons=2, present=True)
    assert zone(post, present=True) != zone(post, present=False)
    assert zone(post, present=True) != zone(post, present=True, phone=True)
    desk = ZonePurpose.COUNTER_SURFACE
    assert zone(desk, clutter=0.02) == zone(desk, clutter=0.05)
    assert zone(desk, clutter=0.02) != zone(desk, clutter=0.02, clutter_objects=1)
    meeting = ZonePurpose.MEETING
    assert zone(meeting, persons=3) == zone(meeting, persons=5) != zone(meeting, persons=2)
    lobby = ZonePurpose.LOBBY
    assert zone(lobby, persons=0) == zone(lobby, persons=7)
