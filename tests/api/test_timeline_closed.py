"""Closed is not unknown: a finding's timeline marks the time outside the branch's business
hours (its stored calendar) as closed, with when it opens or closed on the branch's clock,
and leaves only the judged time no sample covers as unknown (api/timeline.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline.store import models as m
from tests.support.api import TZ, running_api


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _timeline(api, fid: str, hours: dict | None) -> dict:
    with api.db.session() as s:
        s.get(m.Branch, s.get(m.Finding, fid).branch_id).hours = hours
    got = api.get("admin", f"/api/v1/findings/{fid}/timeline")
    assert got.status_code == 200, got.text
    return got.json()


@pytest.fixture
def absence(api):
    """The TELLER_ABSENT finding at 09:40–09:52 (Asia/Shanghai) on Monday 2026-11-02:
    its timeline runs 09:28–10:04 (the finding's own length either side); no samples are stored of it."""
    with api.db.session() as s:
        row = s.get(m.Finding, api.finding(api.own, "pending", "TELLER_ABSENT"))
        assert row.date.weekday() == 0
        return row.id


def _local(iso: str) -> str:
    return f"{_t(iso).astimezone(ZoneInfo(TZ)):%H:%M}"


def test_before_opening_is_closed_and_only_the_open_time_is_unknown(api, absence):
    every_day = {str(d): ["09:38", "17:00"] for d in range(7)}
    tl = _timeline(api, absence, every_day)
    lo, hi = _t(tl["start"]), _t(tl["end"])
    (closed,) = tl["closed"]
    assert (_local(closed["start"]), _local(closed["end"])) == ("09:28", "09:38")
    assert _t(closed["start"]) == lo and closed["reason"] == "非营业 closed, opens at 09:38"
    # what is unknown starts at the opening: no stored samples of the open time
    assert tl["unknown"] and min(_t(u["start"]) for u in tl["unknown"]) == _t(closed["end"])
    assert all(_t(u["end"]) <= hi for u in tl["unknown"])
    assert not any(_t(u["start"]) < _t(closed["end"]) for u in tl["unknown"])


def test_after_closing_is_closed_too(api, absence):
    tl = _timeline(api, absence, {"0": ["08:00", "09:50"]})
    (closed,) = tl["closed"]
    assert (_local(closed["start"]), _local(closed["end"])) == ("09:50", "10:04")
    assert closed["reason"] == "非营业 closed at 09:50"
    assert max(_t(u["end"]) for u in tl["unknown"]) == _t(closed["start"])


def test_a_day_the_branch_does_not_open_is_all_closed_and_nothing_unknown(api, absence):
    tl = _timeline(api, absence, {"5": ["09:00", "12:00"]})  # Saturdays only
    assert [c["reason"] for c in tl["closed"]] == ["非营业 closed all day"]
    assert (tl["closed"][0]["start"], tl["closed"][0]["end"]) == (tl["start"], tl["end"])
    assert tl["unknown"] == []


def test_without_a_stored_calendar_nothing_is_called_closed(api, absence):
    tl = _timeline(api, absence, None)
    assert tl["closed"] == []
    assert (tl["unknown"][0]["start"], tl["unknown"][-1]["end"]) == (tl["start"], tl["end"])
