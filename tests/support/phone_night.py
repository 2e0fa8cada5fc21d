"""A night of the test branch (tests/support/run_site.py) whose phone stage sees phones,
for the candidate, dataset and training tests.

No phone is in the real clip, and the bank's model is what this loop makes, so the stage's
two models are deterministic stand-ins in the places models sit: `ScriptedPalms` sees a
hand in every upper body (the person at the table has their back to the camera), and
`ScriptedPhones` puts a phone in that hand's window, scored on a fixed schedule: near
misses (0.11-0.18, candidates) and a stretch of sure phones (0.7, a PHONE_USE finding).
Everything around them is the real night: the
sampler on the real clip, NanoDet for the persons, the observer, the rules, the writer,
evidence and the store, in this process (the inline executor) so the stand-in is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from detectors.backends.palm import Palm
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
SETTINGS = PhoneStageSettings(reuse_still=False)


class ScriptedPalms:
    """One palm in every crop, a sixth of its width, in the middle of its lower half."""

    version = "scripted-palms"

    def palms(self, crop: np.ndarray, min_score: float = 0.4) -> list[Palm]:
        h, w = crop.shape[:2]
        cx, cy, half = w / 2, 0.6 * h, w / 12
        return [Palm((cx - half, cy - half, cx + half, cy + half), 0.8, (cx, cy))]


class ScriptedPhones:
    """A phone in the middle of the hand's window, 1.2 palms long, scored by call order."""

    version = "scripted-phones"
    class_names = NAMES

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, crop: np.ndarray) -> Detections:
        n, self.calls = self.calls, self.calls + 1
        h, w = crop.shape[:2]
        score = 0.7 if n in SURE else 0.11 + (n % 8) * 0.01
        box = [0.45 * w, 0.4 * h, 0.55 * w, 0.6 * h]
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
    stage = PhoneStage(SETTINGS, detector=ScriptedPhones(), palm_model=ScriptedPalms())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("detectors.analyzer._phone_models", lambda settings: stage)
        db = Database(db_url)
        for day in DAYS:  # a night is one date
            night = Night(db, settings, load_checklist(CHECKLIST), evidence, InlineExecutor())
            night.run([plan_branch_day(site, day, settings)], day)
        db.dispose()
    return db_url, evidence, site
