"""A night of the test branch (tests/support/run_site.py) whose phone stage sees phones,
for the candidate, dataset and training tests.

No shipped model sees a phone on the real clip, and the bank's model is what this loop
makes, so the crop detector is `ScriptedPhones`: a deterministic stand-in in the one place
a model sits (the phone stage's `detector`), which puts a phone in the hands of every crop
it is shown, scored on a fixed schedule: near misses (0.11-0.18, candidates) and a stretch
of sure phones (0.7, a PHONE_USE finding). Everything around it is the real night: the
sampler on the real clip, NanoDet for the persons, the observer, the rules, the writer,
evidence and the store, in this process (the inline executor) so the stand-in is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from detectors.detections import Detections
from detectors.phone import PhoneStage, PhoneStageSettings
from pipeline.batch.night import Night
from pipeline.batch.units import DetectorSpec, Unit, UnitSettings, plan_branch_day
from pipeline.batch.worker import UnitResult, run_unit
from pipeline.footage.sampler import SamplingSpec
from pipeline.store.db import Database
from rules.checklist import load_checklist
from tests.support.run_site import DATA, DAY, PATTERN, STARTS, at, build_site

CHECKLIST = DATA / "checklists" / "phone-only.yaml"
NAMES = ("person", "cell phone")
#: calls of the detector (one per staff person per analysed frame) that see a sure phone
SURE = range(30, 50)
SETTINGS = PhoneStageSettings(pose=False, always=True)


class ScriptedPhones:
    """A phone in the crop's hands (the middle of its lower half), scored by call order."""

    version = "scripted-phones"
    class_names = NAMES

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, crop: np.ndarray) -> Detections:
        n, self.calls = self.calls, self.calls + 1
        h, w = crop.shape[:2]
        score = 0.7 if n in SURE else 0.11 + (n % 8) * 0.01
        box = [0.42 * w, 0.55 * h, 0.56 * w, 0.67 * h]
        return Detections.from_arrays([box], [score], [1], NAMES)


class InlineExecutor:
    """Units run one after another in this process."""

    name = "inline"

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]:
        for unit in units:
            yield run_unit(unit)


#: the days run: two, so a dataset splits by camera-day
DAYS = (DAY, DAY + timedelta(days=1))


def phone_night(root: Path, footage: Path) -> tuple[str, Path, Path]:
    """Run both days into `root` (the second day's recordings are the first's, a day
    later); returns the database URL, the evidence root and the site file."""
    site = build_site(root, footage)
    folder = root / "recordings" / "post"
    for start in STARTS:
        (folder / (at(start) + timedelta(days=1)).strftime(PATTERN)).symlink_to(
            folder / at(start).strftime(PATTERN)
        )
    db_url = f"sqlite:///{root / 'phone.db'}"
    evidence = root / "evidence"
    settings = UnitSettings(SamplingSpec(rate=1.0), DetectorSpec(phone=SETTINGS))
    stage = PhoneStage(SETTINGS, detector=ScriptedPhones())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("detectors.analyzer._phone_models", lambda settings: stage)
        db = Database(db_url)
        for day in DAYS:  # a night is one date
            night = Night(db, settings, load_checklist(CHECKLIST), evidence, InlineExecutor())
            night.run([plan_branch_day(site, day, settings)], day)
        db.dispose()
    return db_url, evidence, site
