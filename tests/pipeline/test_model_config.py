"""The models of a night from a file (`--config`): paths relative to it, the command line
winning, mistakes reported by key, and docs/running.md's table equal to the model's own."""

from __future__ import annotations

import argparse
import hashlib

import pytest
from sqlalchemy import update

from cli.options import add_model_options, model_config, phone_settings
from detectors.config_base import ConfigError
from pipeline.batch.units import DetectorSpec, UnitSettings, plan_branch_day
from pipeline.batch.worker import UnitResult
from pipeline.batch.writer import Writer
from pipeline.footage.sampler import SamplingSpec
from pipeline.model_config import model_config_reference
from pipeline.store import models as m
from pipeline.store.compact import pack
from pipeline.store.db import Database
from pipeline.store.models import DONE
from tests.conftest import REPO
from tests.support.recordings import DAY, at, write_clip

PAGE = REPO / "docs" / "running.md"  # "The models of a night"


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_model_options(p)
    return p.parse_args(list(argv))


def test_the_docs_list_the_config_keys_as_the_model_describes_them():
    text = PAGE.read_text(encoding="utf-8")
    start, end = "<!-- model-config-reference -->\n", "\n<!-- /model-config-reference -->"
    assert text[text.index(start) + len(start) : text.index(end)] == model_config_reference()


def test_a_file_sets_the_bank_model_and_the_command_line_wins(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "bank.pt").write_bytes(b"weights")
    config = tmp_path / "night.yaml"
    config.write_text("phone_backend: yolo\nphone_weights: models/bank.pt\n")
    models = model_config(_args("--config", str(config)))
    assert models.phone_weights == tmp_path / "models" / "bank.pt"  # relative to the file
    assert (models.phone_backend, models.gate) == ("yolo", True)
    stage = phone_settings(_args("--config", str(config)))
    assert (stage.backend, stage.weights) == ("yolo", models.phone_weights)
    # given on the command line: it wins over the file
    assert (
        model_config(_args("--config", str(config), "--phone-backend", "onnx")).phone_backend
        == "onnx"
    )
    assert phone_settings(_args("--config", str(config), "--no-phone-stage")) is None
    assert model_config(_args("--config", str(config), "--no-gate")).gate is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "phone_backend: yolo\nphone_weights: gone.pt\n",
            "night.yaml: phone_weights: no such file",
        ),
        ("phone_backend: yolo\n", "night.yaml: phone_weights: yolo needs a model file here"),
        ("phone_weight: bank.pt\n", "night.yaml: phone_weight: is not a known key"),
        ("gate: maybe\n", "night.yaml: gate:"),
        ("pose: false\n", "night.yaml: pose: is not a known key"),  # the cue left the stage
        ("- a list\n", "night.yaml: (top level)"),
    ],
)
def test_mistakes_are_reported_by_key(tmp_path, text, message):
    config = tmp_path / "night.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as err:
        model_config(_args("--config", str(config)))
    assert message in str(err.value)


def test_new_weights_under_the_same_name_change_the_units_fingerprint(tmp_path):
    weights = tmp_path / "bank.pt"
    weights.write_bytes(b"first")
    config = tmp_path / "night.yaml"
    config.write_text(f"phone_backend: yolo\nphone_weights: {weights}\n")

    def params() -> str:
        spec = DetectorSpec(phone=phone_settings(_args("--config", str(config))))
        return UnitSettings(SamplingSpec(), spec).params

    before = params()
    assert str(weights) in before
    weights.write_bytes(b"second, retrained")
    assert params() != before


SITE = """\
branch: {id: B1, timezone: Asia/Shanghai}
business_hours: {mon-sun: ["09:00", "09:00:30"]}
cameras:
  - id: cam-1
    recordings: {folder: rec, pattern: "cam-1_%Y%m%d_%H%M%S.mp4"}
    zones: [{id: post-1, purpose: teller_post, polygon: [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8]]}]
"""


def test_a_unit_done_under_the_old_spelled_out_phone_fingerprint_is_redone_once(tmp_path, db_url):
    """Before the phone stage's part of a unit's fingerprint was a digest of its settings'
    dump, it was a digest of them spelled out `key=value,…`: such a unit does not pass as
    done under the new one; it is redone, as after a change of settings (whose re-run
    never counts a reviewed incident twice: tests/batch/test_incidents.py), then kept."""
    write_clip(tmp_path / "rec" / at(0).strftime("cam-1_%Y%m%d_%H%M%S.mp4"), 30, gop=10)
    site = tmp_path / "site.yaml"
    site.write_text(SITE, encoding="utf-8")
    settings = UnitSettings(SamplingSpec(rate=1.0), DetectorSpec())
    day = plan_branch_day(site, DAY, settings)
    db = Database(db_url)
    writer = Writer(db, settings)

    def still_to_do() -> int:
        return len(writer.open_run(day, "test")[1])

    assert still_to_do() == 1
    for unit in day.units:
        writer.record(UnitResult(unit.ref, DONE, observations=pack([])))
    assert still_to_do() == 0
    stage = settings.detector.phone
    spelled = ",".join(
        f"{k}={v}" for k, v in stage.model_dump(exclude={"threads", "weights"}).items()
    )
    old = hashlib.sha256(spelled.encode()).hexdigest()[:16]
    with db.session() as s:
        s.execute(update(m.WorkUnit).values(params=settings.params.replace(
            f"phone={stage.fingerprint()[:16]},", f"phone={old},"
        )))  # fmt: skip
    assert still_to_do() == 1
    for unit in day.units:
        writer.record(UnitResult(unit.ref, DONE, observations=pack([])))
    assert still_to_do() == 0
    db.dispose()
