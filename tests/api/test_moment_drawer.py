"""The drawer of moments' clips (pipeline/evidence/moments.py) on its own: a full queue
refuses at once, one person's share is capped while others still queue, a failure is
told to the next ask and then forgotten, and pruning removes the least recently used
clips down to the budget, never one being kept. Drawing here writes the bytes a clip of
the size asked would have (the real drawing is tested over a night's recordings in
tests/api/test_finding_timeline.py)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from pipeline.evidence.clips import EvidenceError
from pipeline.evidence.moments import MomentDrawer, MomentsBusy, Progress


def _writer(root, held: threading.Event):
    def draw(request, tell) -> str:
        held.wait()
        if request == "bad":
            raise EvidenceError("no footage of camera c1 around then")
        path = root / request
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
        return request

    return draw


def _settled(drawer: MomentDrawer, rel: str, person: str) -> bool:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if (drawer.root / rel).is_file():  # as the route looks first (api/moment_clips.py)
            return True
        try:
            drawer.ask(rel, rel, person)
        except EvidenceError:
            return False
        time.sleep(0.05)
    raise AssertionError(f"{rel} never drawn")


def test_the_queue_and_the_share_of_one_person_are_bounded(tmp_path):
    held = threading.Event()
    drawer = MomentDrawer(tmp_path, _writer(tmp_path, held), queue_size=3, per_person=2)
    assert drawer.ask("moments/f/1.mp4", "moments/f/1.mp4", "sam").state in ("queued", "drawing")
    while drawer.ask("moments/f/1.mp4", "moments/f/1.mp4", "sam").state != "drawing":
        time.sleep(0.01)  # the worker took it, and holds it
    assert drawer.ask("moments/f/2.mp4", "moments/f/2.mp4", "sam") == Progress("queued", 0)
    with pytest.raises(MomentsBusy) as mine:
        drawer.ask("moments/f/3.mp4", "moments/f/3.mp4", "sam")
    assert mine.value.per_person
    again = drawer.ask("moments/f/2.mp4", "moments/f/2.mp4", "pat")  # asked already: joined
    assert again.state in ("queued", "drawing")
    drawer.ask("moments/f/4.mp4", "moments/f/4.mp4", "pat")
    assert drawer.ask("moments/f/5.mp4", "moments/f/5.mp4", "ann") == Progress("queued", 2)
    with pytest.raises(MomentsBusy) as full:
        drawer.ask("moments/f/6.mp4", "moments/f/6.mp4", "bo")
    assert not full.value.per_person
    held.set()
    for n, who in ((1, "sam"), (2, "sam"), (4, "pat"), (5, "ann")):
        assert _settled(drawer, f"moments/f/{n}.mp4", who)


def test_a_failure_is_told_once(tmp_path):
    held = threading.Event()
    held.set()
    drawer = MomentDrawer(tmp_path, _writer(tmp_path, held))
    drawer.ask("bad", "bad", "sam")
    assert _settled(drawer, "bad", "sam") is False  # told: the reason, once
    assert drawer.ask("bad", "bad", "sam").state in ("queued", "drawing")  # then asked again


def test_pruning_keeps_the_budget_removing_the_least_recently_used(tmp_path):
    folder = tmp_path / "moments" / "f"
    folder.mkdir(parents=True)
    for n in range(5):
        (folder / f"{n}.mp4").write_bytes(b"x" * 1000)
        os.utime(folder / f"{n}.mp4", (1000 + n, 1000 + n))
    drawer = MomentDrawer(tmp_path, lambda request, tell: request, budget=2500)
    drawer.used("moments/f/0.mp4")  # served just now: the most recently used
    removed = drawer.prune(keep={"moments/f/1.mp4"})
    assert removed == ["moments/f/2.mp4", "moments/f/3.mp4", "moments/f/4.mp4"]
    assert sorted(p.name for p in folder.iterdir()) == ["0.mp4", "1.mp4"]


def test_the_stage_and_share_drawn_are_told_to_whoever_asks(tmp_path):
    """What write_moment tells as it goes (decoding, drawing n %, encoding) is what the
    next poll answers; a poll of a clip nobody asked for learns nothing (None)."""
    told, go, done = threading.Event(), threading.Event(), threading.Event()

    def draw(request, tell) -> str:
        tell("drawing", 0.45)
        told.set()
        go.wait()
        tell("encoding", 1.0)
        told.set()
        done.wait()
        (tmp_path / request).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / request).write_bytes(b"x")
        return request

    drawer = MomentDrawer(tmp_path, draw)
    rel = "moments/f/1.mp4"
    assert drawer.progress(rel) is None
    first = drawer.ask(rel, rel, "sam")
    assert (first.state, first.stage) in (("queued", "queued"), ("drawing", "decoding"),
                                          ("drawing", "drawing"))  # fmt: skip
    assert told.wait(60)
    assert drawer.progress(rel) == Progress("drawing", 0, "drawing", 45)
    told.clear()
    go.set()
    assert told.wait(60)
    got = drawer.progress(rel)
    assert (got.stage, got.percent) == ("encoding", 99)  # 100 only once the clip is there
    done.set()
    assert _settled(drawer, rel, "sam") and drawer.progress(rel) is None
