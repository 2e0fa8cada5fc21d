"""A Ray cluster of a head and two worker nodes loses a worker node mid-run: the units it
was running are run again on the other node within the run (pipeline/batch/executors.py
RAY_RETRIES), and the night ends with every unit done and the local executor's findings.

Marked `ray`; CI installs the extra, so there a missing Ray is a failure, not a skip. The
cluster runs on this one machine (ray.cluster_utils.Cluster), one CPU per worker node."""

from __future__ import annotations

import importlib.util
import os
import time

import pytest
from sqlalchemy import select

from pipeline.batch.executors import LocalExecutor, RayExecutor
from pipeline.batch.night import Night, NightReport, plan_night
from pipeline.batch.units import DetectorSpec, UnitSettings
from pipeline.footage.sampler import SamplingSpec
from pipeline.store import models as m
from pipeline.store.db import Database
from rules.checklist import load_checklist
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


def test_a_lost_worker_node_costs_time_not_coverage(tmp_path, footage):
    from ray.cluster_utils import Cluster

    site = _site(tmp_path, footage)
    local, local_units = _night(f"sqlite:///{tmp_path / 'local.db'}", site, LocalExecutor(1))
    assert {s for _, s in local_units} == {"done"}
    assert _keys(local)  # the person leaves the post in each copy: absences to compare

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
            f"sqlite:///{tmp_path / 'ray.db'}", site, RayExecutor(2, cluster.address), lose
        )
    finally:
        cluster.shutdown()

    assert lose.busy_cpus_at_loss == 2  # the node was lost with a unit running on it
    assert report.failed_units == []
    assert {s for _, s in units} == {"done"}  # every unit done within the run
    assert report.reports["RUN-POST"].coverage == local.reports["RUN-POST"].coverage
    assert _keys(report) == _keys(local)
    assert report.exit_status == 0


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
