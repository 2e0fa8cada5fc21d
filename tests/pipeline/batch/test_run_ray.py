"""The same units as Ray tasks on a real local Ray (2 CPUs) give the local run's findings.

Marked `ray`; CI installs the extra, so there a missing Ray is a failure, not a skip."""

import importlib.util
import os

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.run_site import finding_keys, run_cli

pytestmark = pytest.mark.ray

if not os.environ.get("CI") and importlib.util.find_spec("ray") is None:
    pytest.skip("ray is not installed (pip install '.[ray]')", allow_module_level=True)


def test_ray_executor_gives_the_local_findings(reference_run, tmp_path):
    site, _, local = reference_run
    url = f"sqlite:///{tmp_path / 'ray.db'}"

    doc = run_cli(site, url, "--executor", "ray", "--workers", "2")

    assert finding_keys(doc) == finding_keys(local)
    assert doc["branches"]["RUN-POST"]["score"] == local["branches"]["RUN-POST"]["score"]
    db = Database(url)
    with db.session() as s:
        run = s.scalars(select(m.Run)).one()
        assert (run.executor, run.status) == ("ray", "done")
        assert [u.status for u in s.scalars(select(m.WorkUnit))] == ["done", "done"]
    db.dispose()
