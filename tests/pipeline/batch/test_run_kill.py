"""A run killed with SIGKILL takes its worker processes and the multiprocessing resource
tracker with it: nothing it started lives on under PID 1."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.pipeline.batch.test_run_resume import _done_units
from tests.support.run_site import command, env


def _state(pid: int) -> str | None:
    """The process's state letter; None when it is gone (a zombie is gone too: only its
    exit status waits to be collected)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state = stat.rsplit(")", 1)[1].split()[0]
    return None if state in ("Z", "X") else state


def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    out, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - out
        out |= frontier
    return out


def test_workers_and_the_resource_tracker_die_with_the_run(reference_run, tmp_path):
    site = reference_run[0]
    db_path = tmp_path / "killed.db"
    proc = subprocess.Popen(
        command(site, f"sqlite:///{db_path}", "--workers", "2"),
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # so that the cleanup below can reach what survives
    )
    try:
        while _done_units(db_path) == 0:
            assert proc.poll() is None, "the run ended before any unit was stored"
            time.sleep(0.05)
        children = _descendants(proc.pid)
        assert len(children) >= 3  # two workers and the resource tracker
        os.kill(proc.pid, signal.SIGKILL)  # the driver alone
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_state(p) for p in children):
            time.sleep(0.1)
        assert [p for p in children if _state(p)] == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
