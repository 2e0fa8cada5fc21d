"""A finding's timeline over a database a real nightly run filled (the `run` tests' branch,
tests/support/run_site.py): the zone's stored samples and states around the finding, the
unknown time between the two recordings, the evidence clip's place on the wall clock; a
clip of a moment the evidence leaves out, drawn from the recordings on demand and kept;
and, in Chromium, the timeline scrubbed under the clip."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import av
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.tokens import issue_token
from pipeline.store import models as m
from tests.support.browser import CHROMIUM, DESKTOP, artifacts, chromium, login, serving
from tests.support.run_site import BRANCH, at, build_site, run_cli

#: the run's third absence, 09:00:44–09:00:52: its timeline reaches both recordings
THIRD = 2


@pytest.fixture(scope="module")
def night(tmp_path_factory, footage):
    root = tmp_path_factory.mktemp("timeline-run")
    url = f"sqlite:///{root / 'night.db'}"
    doc = run_cli(build_site(root, footage), url, "--evidence", str(root / "evidence"))
    app = create_app(url, root / "evidence")
    db = app.state.settings.db
    with db.session() as s:
        s.add(m.Branch(id="OTHER-1", name="other", region="elsewhere", timezone="Asia/Shanghai",
                       updated_at=s.scalars(select(m.Branch.updated_at)).first()))  # fmt: skip
        s.flush()
        tokens = {
            "supervisor": issue_token(s, "supervisor", "sam", region="test").token,
            "other_branch": issue_token(s, "branch", "olga", branch="OTHER-1").token,
        }
    with TestClient(app) as client:
        yield client, doc["branches"][BRANCH]["findings"], tokens, root, url
    db.dispose()


def _get(client, token, path, headers=(), **kw):
    return client.get(path, headers={"Authorization": f"Bearer {token}", **dict(headers)}, **kw)


def _drawn(client, token, poll: str):
    """Ask `poll` until the clip is no longer being drawn: however long the machine takes
    (a bound only against a drawer that never answers)."""
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        got = _get(client, token, poll)
        if got.status_code != 202:
            return got
        time.sleep(got.json()["retry_after"] / 4)
    raise AssertionError(f"{poll} still being drawn after 15 minutes")


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_timeline_holds_the_zones_samples_states_and_unknown_time(night):
    client, found, tokens, _, _ = night
    finding = found[THIRD]
    start, end = _t(finding["start"]), _t(finding["end"])
    got = _get(client, tokens["supervisor"], f"/api/v1/findings/{finding['id']}/timeline")
    assert got.status_code == 200, got.text
    tl = got.json()
    lo, hi = _t(tl["start"]), _t(tl["end"])
    assert (lo, hi) == (start - timedelta(seconds=300), end + timedelta(seconds=300))
    assert tl["zones"] == ["post/post-1"] and tl["timezone"] == "Asia/Shanghai"
    samples = tl["samples"]
    times = [_t(s["t"]) for s in samples]
    assert times == sorted(times) and lo <= times[0] and times[-1] <= hi
    assert len(samples) > 250  # one a second over both recordings, less the hole
    # an absence is what the samples show: nobody at the post
    assert all(s["violating"] == (not s["present"]) for s in samples)
    inside = [s for s, t in zip(samples, times, strict=True) if start <= t <= end]
    assert inside and sum(s["violating"] for s in inside) > len(inside) / 2
    # states hold each sample until the next; the violating ones cover the finding
    bad = [(_t(s["start"]), _t(s["end"])) for s in tl["states"] if s["violating"]]
    assert any(a <= start + timedelta(seconds=2) and b >= start for a, b in bad)
    # unknown: the hole between the recordings, with its reason
    hole = [u for u in tl["unknown"] if u["reason"] == "no file"]
    assert [(_t(u["start"]), _t(u["end"])) for u in hole] == [
        (at(139.4), at(180)), (at(319.4), hi)
    ]  # fmt: skip
    # before the opening the branch was closed: closed, not unknown
    (closed,) = tl["closed"]
    assert (_t(closed["start"]), _t(closed["end"])) == (lo, at(0))
    assert closed["reason"] == "非营业 closed, opens at 09:00"
    assert all(_t(u["start"]) >= at(0) for u in tl["unknown"])
    long = [(_t(u["start"]), _t(u["end"])) for u in tl["unknown"]]
    long = [(a, b) for a, b in long if b - a > timedelta(seconds=10)]
    assert all(b <= at(1) or a >= at(139) for a, b in long)  # the recordings were seen
    # the clip shows the finding with 4 s either side, from its start
    (clip,) = tl["clip"]
    assert (_t(clip["start"]), _t(clip["end"]), clip["offset_s"]) == (
        start - timedelta(seconds=4), end + timedelta(seconds=4), 0.0
    )  # fmt: skip
    other = _get(client, tokens["other_branch"], f"/api/v1/findings/{finding['id']}/timeline")
    assert other.status_code == 404


def test_a_moment_outside_the_clip_is_drawn_from_the_recordings_and_kept(night):
    client, found, tokens, root, _ = night
    finding = found[THIRD]
    moment = at(100).isoformat()  # 09:01:40, a minute after the clip ends
    url = f"/api/v1/findings/{finding['id']}/clip"
    first = _get(client, tokens["supervisor"], url, params={"at": moment})
    assert first.status_code == 202, first.text  # queued: the answer comes at once
    assert first.json()["state"] in ("queued", "drawing") and first.json()["poll"].startswith(url)
    assert first.json()["stage"] in ("queued", "decoding", "drawing", "encoding")
    assert 0 <= first.json()["percent"] < 100 and first.json()["retry_after"] == 1
    got = _drawn(client, tokens["supervisor"], first.json()["poll"])
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "video/mp4"
    kept = sorted((root / "evidence" / "moments" / finding["id"]).iterdir())
    assert [p.name for p in kept] == ["20240506T010140Z.mp4"]
    with av.open(str(kept[0])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = sum(1 for _ in container.decode(video=0))
    assert 50 <= frames <= 61  # 12 s at the evidence's 5 frames a second
    inode = kept[0].stat().st_ino  # not drawn again: the same file, not a replaced one
    again = _get(client, tokens["supervisor"], url, params={"at": moment})
    assert again.content == got.content and kept[0].stat().st_ino == inode
    ranged = _get(client, tokens["supervisor"], url, params={"at": moment},
                  headers={"Range": "bytes=0-99"})  # fmt: skip
    assert ranged.status_code == 206 and len(ranged.content) == 100
    late = _get(client, tokens["supervisor"], url, params={"at": at(3600).isoformat()})
    assert late.status_code == 404 and "no moment" in late.json()["detail"]
    hidden = _get(client, tokens["other_branch"], url, params={"at": moment})
    assert hidden.status_code == 404 and "no finding" in hidden.json()["detail"]


def test_moments_asked_at_once_are_queued_not_waited_for_and_capped_per_person(night):
    """44 moments asked at once by one person while the drawer is held (the clip of the
    first cannot finish): every answer comes without waiting for a clip (202 for the
    person's share, 429 beyond it, never a 500), another person's moment and other
    requests are served meanwhile; released, the queued clips are drawn, and the
    `moments/` folder is kept to its budget."""
    client, found, tokens, root, _ = night
    finding = found[THIRD]
    url = f"/api/v1/findings/{finding['id']}/clip"
    drawer = client.app.state.settings.moments
    held, draw = threading.Event(), drawer.draw
    drawer.draw = lambda request, tell: held.wait() and draw(request, tell)
    with client.app.state.settings.db.session() as s:
        admin = issue_token(s, "admin", "adam").token
    moments = [at(21 + 2 * i) for i in range(44)]  # 09:00:21 … 09:01:47, none kept yet
    try:
        with ThreadPoolExecutor(44) as pool:
            answers = list(pool.map(
                lambda t: _get(client, tokens["supervisor"], url, params={"at": t.isoformat()}),
                moments,
            ))  # fmt: skip
        codes = [a.status_code for a in answers]
        assert sorted(codes) == [202] * 2 + [429] * 42, [
            a.text for a in answers if a.status_code >= 500
        ]
        assert all("Retry-After" in a.headers for a in answers)
        # meanwhile, others are served: another person's moment, and other requests
        other = _get(client, admin, url, params={"at": at(110).isoformat()})
        assert other.status_code == 202 and other.json()["state"] == "queued"
        assert _get(client, admin, "/api/v1/me").status_code == 200
        assert _get(client, admin, "/api/v1/findings").status_code == 200
    finally:
        held.set()
        drawer.draw = draw
    accepted = [a.json()["poll"] for a in answers if a.status_code == 202]
    for poll in accepted:
        assert _drawn(client, tokens["supervisor"], poll).headers["content-type"] == "video/mp4"
    assert _drawn(client, admin, other.json()["poll"]).status_code == 200
    # the budget: with room for none, a new clip stays (just drawn) and the others go
    drawer.budget = 1
    last = at(112)
    first = _get(client, admin, url, params={"at": last.isoformat()})
    assert _drawn(client, admin, first.json()["poll"]).status_code == 200
    kept = sorted(p.name for p in (root / "evidence" / "moments").rglob("*.mp4"))
    assert kept == [f"{last.astimezone(UTC):%Y%m%dT%H%M%SZ}.mp4"]
    drawer.budget = 1 << 30


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium")
def test_scrubbing_the_timeline_seeks_the_clip_and_fetches_a_moment(night):
    client, found, tokens, root, url = night
    finding = found[THIRD]
    start = _t(finding["start"])
    shots = artifacts("finding_timeline")
    with serving(url, root / "evidence", root / "serve.log") as base, chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        login(page, base, tokens["supervisor"])
        page.goto(f"{base}/findings/{finding['id']}")
        page.wait_for_selector("#timeline circle.sample")
        page.wait_for_function("() => document.getElementById('clip').readyState >= 1")
        page.evaluate("() => document.getElementById('clip').pause()")
        # the sample nearest 2 s into the finding: the clip starts 4 s before the finding
        times = page.locator("#timeline circle.sample").evaluate_all(
            "(cs) => cs.map((c) => c.dataset.t)"
        )
        near = min(times, key=lambda t: abs(_t(t) - start - timedelta(seconds=2)))
        expected = 4 + (_t(near) - start).total_seconds()
        circle = page.locator(f"#timeline circle.sample[data-t='{near}']")
        circle.dispatch_event("click")
        page.wait_for_function(
            "(s) => Math.abs(document.getElementById('clip').currentTime - s) < 0.25", arg=expected
        )
        page.wait_for_function(  # the cursor follows, once the seek is done
            "(x) => Math.abs(document.getElementById('tl-cursor').getAttribute('x1') - x) < 3",
            arg=float(circle.get_attribute("cx")),
        )
        page.screenshot(path=str(shots / "timeline_seek_1366x900.png"))
        # a moment the clip leaves out: a clip of it is fetched and played
        later = min(times, key=lambda t: abs(_t(t) - at(100)))  # 09:01:40
        page.locator(f"#timeline circle.sample[data-t='{later}']").dispatch_event("click")
        page.wait_for_function(
            "() => document.getElementById('clip').src.includes('/clip?at=') "
            "&& document.getElementById('clip').readyState >= 2"
        )
        assert "该时刻片段 Clip of 09:01:40" in page.text_content("#clip-caption")
        page.click("#back-to-clip")
        page.wait_for_function("() => document.getElementById('clip').src.endsWith('/clip')")
        page.screenshot(path=str(shots / "timeline_moment_1366x900.png"))


def _x_of(page, t: datetime) -> float:
    """The page x of wall-clock `t` on the timeline as it is zoomed now."""
    a, b = (
        _t(v) for v in page.eval_on_selector("#timeline", "(b) => [b.dataset.from, b.dataset.to]")
    )
    box = page.locator("#timeline").bounding_box()
    return box["x"] + (t - a) / (b - a) * box["width"]


def _video_time(page) -> float:
    return page.evaluate("() => document.getElementById('clip').currentTime")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium")
def test_dragging_scrubs_the_clip_and_the_arrow_keys_step_through_the_samples(night):
    """Zoomed in from the keyboard so the 16 s clip spans a good part of the width, a drag
    along it moves the video with the pointer before it is let go; with the timeline
    focused, → steps to the next sample and the clip follows; End goes to the window's end."""
    client, found, tokens, root, url = night
    finding = found[THIRD]
    start = _t(finding["start"])
    clip_start = start - timedelta(seconds=4)
    shots = artifacts("finding_timeline")
    with serving(url, root / "evidence", root / "serve2.log") as base, chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        login(page, base, tokens["supervisor"])
        page.goto(f"{base}/findings/{finding['id']}")
        page.wait_for_selector("#timeline circle.sample")
        page.wait_for_function("() => document.getElementById('clip').readyState >= 1")
        page.evaluate("() => document.getElementById('clip').pause()")
        page.focus("#timeline")
        for _ in range(4):  # 608 s → 120 s across, about the playhead
            page.keyboard.press("+")
        a, b = (_t(v) for v in page.eval_on_selector("#timeline", "(b) => [b.dataset.from, b.dataset.to]"))
        assert (b - a).total_seconds() == pytest.approx(120, abs=1)
        y = page.locator("#timeline").bounding_box()["y"] + 20
        page.mouse.move(_x_of(page, clip_start + timedelta(seconds=2)), y)
        page.mouse.down()
        page.mouse.move(_x_of(page, clip_start + timedelta(seconds=6)), y, steps=5)
        page.wait_for_function(  # the video follows while the button is still down
            "(s) => Math.abs(document.getElementById('clip').currentTime - s) < 0.6", arg=6.0
        )
        page.mouse.move(_x_of(page, clip_start + timedelta(seconds=11)), y, steps=5)
        page.wait_for_function(
            "(s) => Math.abs(document.getElementById('clip').currentTime - s) < 0.6", arg=11.0
        )
        page.mouse.up()
        page.evaluate("() => document.getElementById('clip').pause()")
        page.screenshot(path=str(shots / "timeline_scrubbed_1366x900.png"))
        # → : the next sample after the playhead, and the clip there
        here = clip_start + timedelta(seconds=_video_time(page))
        times = sorted(_t(t) for t in page.locator("#timeline circle.sample").evaluate_all(
            "(cs) => cs.map((c) => c.dataset.t)"))  # fmt: skip
        nxt = next(t for t in times if t > here + timedelta(milliseconds=1))
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "(ms) => Math.abs(document.getElementById('timeline').getAttribute('aria-valuenow') - ms) < 1",
            arg=nxt.timestamp() * 1000,
        )
        expected = (nxt - clip_start).total_seconds()
        page.wait_for_function(
            "(s) => Math.abs(document.getElementById('clip').currentTime - s) < 0.25", arg=expected
        )
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(
            "(ms) => +document.getElementById('timeline').getAttribute('aria-valuenow') < ms",
            arg=nxt.timestamp() * 1000,
        )
        page.keyboard.press("End")
        end = page.eval_on_selector("#timeline", "(b) => +b.getAttribute('aria-valuenow')")
        hi = _t(page.evaluate("() => fetch(location.pathname.replace('/findings/', "
                              "'/api/v1/findings/') + '/timeline').then((r) => r.json())"
                              ".then((t) => t.end)"))  # fmt: skip
        assert end == pytest.approx(hi.timestamp() * 1000, abs=1)
