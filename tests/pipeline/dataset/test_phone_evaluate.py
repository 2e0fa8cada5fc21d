"""`evaluate`'s arithmetic on a reviewed set with known answers: precision and recall
exact, pending crops ignored, the training manifest's images left out."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import cv2
import numpy as np
import pytest

from detectors.detections import Detections
from pipeline.dataset.evaluate import evaluate
from pipeline.dataset.export import manifest_keys
from pipeline.store import models as m
from pipeline.store.db import Database

T0 = datetime(2026, 11, 2, 2, tzinfo=UTC)
# (review, a bright phone-like patch in the image): what a reviewer said, what is there
SET = [
    ("confirmed", True), ("confirmed", True), ("confirmed", True), ("confirmed", False),
    ("dismissed", True), ("dismissed", False), ("dismissed", False), ("dismissed", False),
    ("pending", True),
]  # fmt: skip


class BrightPatches:
    """A real, if tiny, detector: each bright blob is a "cell phone"."""

    version, class_names = "bright", ("person", "cell phone")

    def detect(self, image):
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        n, _, stats, _ = cv2.connectedComponentsWithStats((grey > 200).astype(np.uint8))
        boxes = [[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:n]]
        return Detections.from_arrays(boxes, [0.9] * len(boxes), [1] * len(boxes), self.class_names)


class Always:
    version, class_names = "always", ("cell phone",)

    def detect(self, image):
        return Detections.from_arrays([[1, 1, 5, 5]], [0.3], [0], self.class_names)


@pytest.fixture
def reviewed(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    with db.session() as s:
        s.add(m.Branch(id="B1", name="b", region="r", timezone="Asia/Shanghai", updated_at=T0))
        s.flush()
        for i, (status, patch) in enumerate(SET):
            image = np.full((64, 48, 3), 60, np.uint8)
            if patch:
                cv2.rectangle(image, (20, 30), (28, 44), (255, 255, 255), -1)
            cv2.imwrite(str(evidence / f"{i}.jpg"), image)
            s.add(
                m.PhoneCandidate(
                    id=i + 1,
                    branch_id="B1",
                    date=date(2026, 11, 2 + i % 2),
                    camera_id="c",
                    zone="post",
                    unit_key="f.mp4",
                    kind="candidate",
                    t=T0 + timedelta(minutes=i),
                    score=0.15,
                    image=f"{i}.jpg",
                    width=48,
                    height=64,
                    box=[20, 30, 28, 44],
                    persons=[[0, 0, 48, 64]],
                    status=status,
                    reviewed_box=[20, 30, 28, 44] if status == "confirmed" else None,
                    reviewer="sam",
                    reviewed_at=T0,
                    created_at=T0,
                )  # fmt: skip
            )
    yield db, evidence
    db.dispose()


def test_precision_and_recall_are_exact(reviewed, tmp_path):
    db, evidence = reviewed
    result = evaluate(db, evidence, {"bank": BrightPatches(), "always": Always()}, conf=0.2)
    assert (result.images, result.positives, result.excluded) == (8, 4, 0)
    bank, always = result.scores["bank"], result.scores["always"]
    assert (bank.tp, bank.fp, bank.fn, bank.tn) == (3, 1, 1, 3)
    assert (bank.precision, bank.recall) == (0.75, 0.75)
    assert (always.precision, always.recall) == (0.5, 1.0)
    # a threshold above the detector's scores: it never says phone, precision undefined
    quiet = evaluate(db, evidence, {"always": Always()}, conf=0.5).scores["always"]
    assert (quiet.precision, quiet.recall) == (None, 0.0)

    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"key": "candidate:1", "image": "x"}) + "\n")
    held_out = evaluate(db, evidence, {"bank": BrightPatches()}, 0.2, manifest_keys(manifest))
    assert held_out.excluded == 1
    bank = held_out.scores["bank"]
    assert (bank.tp, bank.fp, bank.fn, bank.tn) == (2, 1, 1, 3)
    assert bank.precision == pytest.approx(2 / 3) and bank.recall == pytest.approx(2 / 3)

    (evidence / "4.jpg").write_bytes(b"broken")  # the false positive's image
    broken = evaluate(db, evidence, {"bank": BrightPatches()}, 0.2)
    assert [x["key"] for x in broken.skipped] == ["candidate:5"]
    assert broken.scores["bank"].precision == 1.0


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    from cli.main import main

    db = f"sqlite:///{tmp_path / 'empty.db'}"
    args = [
        "dataset",
        "export",
        "--db",
        db,
        "--evidence",
        str(tmp_path),
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(args) == 2
    assert "nothing reviewed to export" in capsys.readouterr().err
    data = tmp_path / "data.yaml"
    assert main(["train", "--data", str(data), "--model", "m.pt", "--epochs", "1",
                 "--out", str(tmp_path / "t")]) == 2  # fmt: skip
    assert f"--data {data}: no such file" in capsys.readouterr().err
    data.write_text("names: {0: person}\n")
    assert main(["train", "--data", str(data), "--model", "yolo11n.pt", "--epochs", "1",
                 "--out", str(tmp_path / "t")]) == 2  # fmt: skip
    assert "no such file (nothing is downloaded)" in capsys.readouterr().err
