"""Durations rounded once, stored times with their zone, zones in the site's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from rules.calendar import ZoneRef
from rules.wording import duration_text, finding_zone, utc_text, zone_label


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (959.6, "16 分 0 秒 (960 s)"),  # was "15 分 60 秒": the seconds rounded after splitting
        (959.4, "15 分 59 秒 (959 s)"),
        (59.6, "1 分 0 秒 (60 s)"),
        (59.4, "59 秒 s"),
        (0.2, "0 秒 s"),
        (3600, "60 分 0 秒 (3600 s)"),
    ],
)
def test_durations_are_rounded_once(seconds, text):
    assert duration_text(seconds) == text


def test_a_stored_time_says_it_is_utc():
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2026, 11, 2, 9, 40, 5, tzinfo=shanghai)
    assert utc_text(at) == "2026-11-02 01:40 UTC"
    assert utc_text(at.astimezone(UTC), seconds=True) == "2026-11-02 01:40:05 UTC"


ZONES = [
    ZoneRef("counter-1", "post-1", "teller_post"),
    ZoneRef("lobby-1", "lm-desk", "lobby_manager"),
    ZoneRef("lobby-2", "lm-door", "lobby_manager"),
]


def test_a_finding_names_the_site_zone_with_its_purpose_as_the_chart_does():
    chart_row = zone_label("lm-desk", "lobby_manager")
    assert chart_row == "lm-desk（大堂经理岗 lobby manager）"
    # judged over every lobby-manager zone, stored under the purpose: the camera's zone
    assert finding_zone(ZONES, ["lobby-1"], "lobby_manager") == chart_row
    assert finding_zone(ZONES, ["counter-1"], "post-1") == "post-1（柜员岗位 teller post）"
    # a camera the finding did not name: every zone of the purpose
    both = finding_zone(ZONES, ["lobby-9"], "lobby_manager")
    assert both == "lm-desk（大堂经理岗 lobby manager）, lm-door（大堂经理岗 lobby manager）"


def test_without_a_site_the_key_is_worded_as_far_as_it_can_be():
    assert finding_zone([], ["lobby-1"], "lobby_manager") == "大堂经理岗 lobby manager"
    assert finding_zone([], ["counter-1"], "counter-1") == "counter-1（整个画面 whole picture）"
    assert finding_zone([], ["counter-1"], "post-7") == "post-7"
