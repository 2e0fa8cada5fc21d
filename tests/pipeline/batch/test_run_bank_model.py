"""The nightly run with the bank's own phone model, end to end: an ultralytics model
(built from yolo11n.yaml, no weights) named in a `--config` file runs as the phone stage's
crop detector; the findings record it, and new weights under the same name redo the units."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.run_site import BRANCH, build_site, run_cli

# found, not imported: this process's ultralytics would take the config dir of now
ULTRALYTICS = importlib.util.find_spec("ultralytics")
pytestmark = pytest.mark.skipif(ULTRALYTICS is None, reason="needs the yolo extra")


def test_run_with_an_ultralytics_phone_model_from_a_config_file(tmp_path, footage, monkeypatch):
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "ultralytics-config"))
    site = build_site(tmp_path, footage)
    architecture = Path(ULTRALYTICS.origin).parent / "cfg" / "models" / "11" / "yolo11.yaml"
    model = tmp_path / "models" / "yolo11n.yaml"  # the scale is read from the name
    model.parent.mkdir()
    shutil.copyfile(architecture, model)
    config = tmp_path / "night.yaml"
    config.write_text("phone_backend: yolo\nphone_weights: models/yolo11n.yaml\n")
    url = f"sqlite:///{tmp_path / 'audit.db'}"

    doc = run_cli(site, url, "--config", str(config))
    assert doc["branches"][BRANCH]["findings"] and not doc["failed_units"]
    db = Database(url)
    with db.session() as s:
        units = s.scalars(select(m.WorkUnit)).all()
        assert {u.status for u in units} == {"done"} and {u.attempts for u in units} == {1}
        assert all(f"weights={model}@" in u.params for u in units)
        versions = set(s.scalars(select(m.Finding.detector_version)))
    (version,) = versions
    assert "+ultralytics:yolo11n.yaml@" in version and version.startswith("nanodet")
    assert "phone:palm-detection-full@" in version  # hands found as by default

    model.write_text(model.read_text() + "# retrained\n")  # new weights, same name
    run_cli(site, url, "--config", str(config))
    with db.session() as s:
        assert {u.attempts for u in s.scalars(select(m.WorkUnit))} == {2}  # redone
        (again,) = set(s.scalars(select(m.Finding.detector_version)))
    assert again != version and "+ultralytics:yolo11n.yaml@" in again
    db.dispose()
