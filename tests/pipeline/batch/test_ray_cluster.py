"""A Ray cluster of a head and two worker nodes loses a worker node mid-run: the units it
was running are run again on the other node within the run (pipeline/batch/executors.py
RAY_RETRIES), and the night ends with every unit done and the local executor's findings.

Marked `ray`; CI installs the extra, so there a missing Ray is a failure, not a skip. The
cluster runs on this one machine (ray.cluster_utils.Cluster), one CPU per worker node."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.batch.executors import LocalExecutor, RayExecutor
from pipeline.batch.night import Night, NightReport, plan_night
from pipeline.batch.units import DetectorSpec, UnitSettings
from pipeline.footage.sampler import SamplingSpec
from pipeline.store import models as m
from pipeline.store.db import Database
from rules.checklist import load_checklist
from tests.conftest import REPO
from tests.support.run_site import CHECKLIST, CLIP, DAY, PATTERN, SITE, at

pytestmark = pytest.mark.ray

if not os.environ.get("CI") and importlib.util.find_spec("ray") is None:
    pytest.skip("ray is not installed (pip install '.[ray]')", allow_module_level=True)

#: four copies of the real clip (139.4 s each): four units, more than the cluster's two CPUs
STARTS = (0, 150, 300, 450)
SETTINGS = UnitSettings(SamplingSpec(rate=1.0, threads=1), DetectorSpec(phone=None))


def _site(root, footage):
    folder = root / "recordings" / "post"
    folder.mkdir(parents=True)
    for start in STARTS:
        (folder / at(start).strftime(PATTERN)).symlink_to(footage / CLIP)
    site = root / "site.yaml"
    site.write_text(SITE.replace('"09:06"', '"09:10"'), encoding="utf-8")
    return site


class _LoseANode:
    """Progress that removes a worker node once the first unit is in, while the other
    units keep both nodes' CPUs busy."""

    def __init__(self, cluster, node) -> None:
        self.cluster, self.node = cluster, node
        self.busy_cpus_at_loss: float | None = None

    def add(self, name, total, completed):
        return name

    def advance(self, task) -> None:
        import ray

        if self.busy_cpus_at_loss is not None:
            return
        deadline = time.monotonic() + 60  # the freed CPU takes the next unit: wait for it
        while ray.available_resources().get("CPU", 0.0) > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.busy_cpus_at_loss = 2 - ray.available_resources().get("CPU", 0.0)
        self.cluster.remove_node(self.node, allow_graceful=False)


def _night(url, site, executor, progress=None) -> tuple[NightReport, list[tuple]]:
    checklist = load_checklist(CHECKLIST)
    days, _ = plan_night([site], DAY, SETTINGS, strict=True, checklist=checklist)
    db = Database(url)
    report = Night(db, SETTINGS, checklist, None, executor, progress).run(days, DAY)
    with db.session() as s:
        units = [(u.key, u.status) for u in s.scalars(select(m.WorkUnit).order_by(m.WorkUnit.key))]
    db.dispose()
    assert len(units) == len(STARTS)
    return report, units


def _keys(report: NightReport) -> list[tuple]:
    return [
        (f["item"], f["zone"], f["start"], f["end"]) for f in report.reports["RUN-POST"].findings
    ]


def cluster_night(root: str, site: str) -> None:
    """The night on a head and two worker nodes, one lost mid-run; prints what the test
    compares as JSON. Run in a fresh interpreter (below): Ray starts its node processes
    by fork and exec, which can hang when forked from a process holding many threads,
    such as a test session's after hundreds of tests."""
    from ray.cluster_utils import Cluster

    memory = 80 * 1024 * 1024
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "object_store_memory": memory, "include_dashboard": False},
    )
    try:
        workers = [cluster.add_node(num_cpus=1, object_store_memory=memory) for _ in range(2)]
        cluster.wait_for_nodes(timeout=120)
        lose = _LoseANode(cluster, workers[1])
        report, units = _night(
            f"sqlite:///{root}/ray.db", Path(site), RayExecutor(2, cluster.address), lose
        )
    finally:
        cluster.shutdown()
    print(json.dumps({
        "busy_cpus_at_loss": lose.busy_cpus_at_loss,
        "failed_units": [asdict(u) for u in report.failed_units],
        "statuses": sorted({s for _, s in units}),
        "coverage": report.reports["RUN-POST"].coverage,
        "keys": [list(k) for k in _keys(report)],
        "exit_status": report.exit_status,
    }, default=str))  # fmt: skip


def test_a_lost_worker_node_costs_time_not_coverage(tmp_path, footage):
    site = _site(tmp_path, footage)
    local, local_units = _night(f"sqlite:///{tmp_path / 'local.db'}", site, LocalExecutor(1))
    assert {s for _, s in local_units} == {"done"}
    assert _keys(local)  # the person leaves the post in each copy: absences to compare

    script = f"from tests.pipeline.batch.test_ray_cluster import cluster_night; cluster_night({str(tmp_path)!r}, {str(site)!r})"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=1200,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    ray = json.loads(done.stdout.strip().splitlines()[-1])

    assert ray["busy_cpus_at_loss"] == 2  # the node was lost with a unit running on it
    assert ray["failed_units"] == []
    assert ray["statuses"] == ["done"]  # every unit done within the run
    assert ray["coverage"] == local.reports["RUN-POST"].coverage
    assert ray["keys"] == [list(k) for k in json.loads(json.dumps(_keys(local), default=str))]
    assert ray["exit_status"] == 0


def test_units_are_dispatched_longest_first(tmp_path, footage):
    """The night hands its executor the units by the footage they read, longest first."""
    site = _site(tmp_path, footage)
    first = tmp_path / "recordings" / "post" / at(STARTS[0]).strftime(PATTERN)
    first.unlink()  # the first copy starts a minute before opening: read in part only
    (first.parent / at(-60).strftime(PATTERN)).symlink_to(footage / CLIP)
    seen = []

    class Recording:
        name = "recording"

        def run(self, units):
            units = list(units)
            seen.extend(u.seconds for u in units)
            yield from ()

    checklist = load_checklist(CHECKLIST)
    days, _ = plan_night([site], DAY, SETTINGS, strict=True, checklist=checklist)
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Night(db, SETTINGS, checklist, None, Recording()).run(days, DAY)
    db.dispose()

    assert seen == sorted(seen, reverse=True) and seen[0] > seen[-1]
    assert len(seen) == len(STARTS)
    assert seen[-1] == pytest.approx(139.4 - 60, abs=1)
