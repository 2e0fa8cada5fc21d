"""The one configuration base (detectors/config_base.py): every setting a person may read
or write is titled and described, a bad value is reported by its path, and the
fingerprint is a digest of the model's dump."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import detectors
import pipeline
import rules
from detectors.config_base import ConfigError, StrictModel, digest, validate
from detectors.observer import ObserverSettings
from detectors.phone import PhoneStageSettings
from pipeline.batch.units import DetectorSpec, UnitSettings
from pipeline.footage.sampler import SamplingSpec
from pipeline.model_config import ModelConfig
from rules.checklist import Checklist
from rules.policies import StagedPolicy, ThresholdPolicy


def _config_models() -> list[type[StrictModel]]:
    """Every StrictModel of the layers below the API (the API's request bodies are
    described by their OpenAPI schema, api/schemas.py)."""
    for package in (detectors, rules, pipeline):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)
    found, todo = [], [StrictModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in ("detectors", "rules", "pipeline"):
                found.append(sub)
    return found


def test_every_field_of_every_config_model_has_a_title_and_a_description():
    models = _config_models()
    shared = {PhoneStageSettings, SamplingSpec, ObserverSettings, DetectorSpec, ModelConfig}
    assert shared | {Checklist, ThresholdPolicy, StagedPolicy} <= set(models)
    untitled = [
        f"{model.__module__}.{model.__name__}.{name}"
        for model in models
        for name, info in model.model_fields.items()
        if not (info.title and info.description)
    ]
    assert untitled == []


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        (DetectorSpec, {"phone": {"crop_conf": 2}}, "night: phone.crop_conf: must be < 1"),
        (DetectorSpec, {"phone": {"pose": True}}, "night: phone.pose: is not a known key"),
        (SamplingSpec, {"max_side": 8}, "night: max_side: must be ≥ 16"),
        (SamplingSpec, {"rate": 10}, "night: rate: sampling rate must be 0.1-5.0/s, got 10"),
        (ObserverSettings, {"phone_overlap": 1.5}, "night: phone_overlap: must be ≤ 1"),
        (
            Checklist,
            {"items": [{"code": "X", "name_zh": "x", "name_en": "x", "deduction": 1, "cap": 1,
                        "trigger": {"duration_s": -1},
                        "evidence": {"signal": "absent", "purposes": ["teller_post"]}}]},
            "night: items[0].trigger.duration_s: must be > 0",
        ),  # fmt: skip
    ],
)
def test_a_bad_value_is_reported_by_its_path(model, data, message):
    with pytest.raises(ConfigError) as err:
        validate(data, model, "night")
    assert str(err.value) == message


def test_the_fingerprint_is_the_digest_of_the_dump_less_what_only_sets_the_speed():
    stage = PhoneStageSettings(threads=2)
    dump = stage.model_dump(mode="json", exclude={"threads"})
    assert stage.fingerprint() == digest({**dump, "weights": "default"})
    assert stage.fingerprint() == PhoneStageSettings(threads=8).fingerprint()
    assert stage.fingerprint() != PhoneStageSettings(crop_conf=0.31).fingerprint()
    params = UnitSettings(SamplingSpec(), DetectorSpec(phone=stage)).params
    assert f"phone={stage.fingerprint()[:16]},weights=default;" in params
