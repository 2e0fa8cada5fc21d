"""The bank's phone-model loop on a real night (tests/support/phone_night.py) reviewed
through the API: `dataset export` → `train` (one epoch, 64 px, CPU) → `detect` with the
trained weights → `evaluate` beside the shipped model."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import cv2
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.tokens import issue_token
from cli.main import main
from pipeline.dataset.export import DatasetError, export_dataset, split_camera_days
from pipeline.store import models as m
from pipeline.store.db import Database


@pytest.fixture(scope="module")
def reviewed(phone_night, tmp_path_factory):
    """The night's database with reviews made through the API: of each day, two
    candidates confirmed (one with a redrawn box) and two dismissed; the PHONE_USE
    finding confirmed. Returns the URL, the evidence root and what was decided."""
    url, evidence, _ = phone_night
    root = tmp_path_factory.mktemp("reviewed")
    shutil.copy(url.removeprefix("sqlite:///"), root / "db.sqlite")
    db_url = f"sqlite:///{root / 'db.sqlite'}"
    app = create_app(db_url, evidence)
    db = app.state.settings.db
    with db.session() as s:
        auth = {"Authorization": "Bearer " + issue_token(s, "admin", "ada").token}
    decided = {}
    with TestClient(app) as client:
        items = client.get("/api/v1/candidates?per_page=200", headers=auth).json()["items"]
        for day in sorted({c["date"] for c in items}):
            mine = [c for c in items if c["date"] == day][:4]
            for i, c in enumerate(mine):
                body = {"decision": "confirm" if i < 2 else "dismiss"}
                if i == 0:
                    body["box"] = [10, 12, 40, 50]
                done = client.post(f"/api/v1/candidates/{c['id']}/review", json=body, headers=auth)
                assert done.status_code == 200, done.text
                decided[c["id"]] = done.json()
        (phone,) = client.get("/api/v1/findings?item=PHONE_USE", headers=auth).json()["items"]
        review = {"decision": "confirm"}
        done = client.post(f"/api/v1/findings/{phone['id']}/review", json=review, headers=auth)
        assert done.status_code == 200, done.text
    db.dispose()
    return db_url, evidence, decided, phone["id"]


@pytest.fixture(scope="module")
def exported(reviewed, tmp_path_factory):
    db_url, evidence, _, _ = reviewed
    out = tmp_path_factory.mktemp("dataset")
    assert main(["dataset", "export", "--db", db_url, "--evidence", str(evidence),
                 "--out", str(out)]) == 0  # fmt: skip
    return out


def _manifest(out):
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_export_is_a_yolo_dataset_split_by_camera_day(reviewed, exported):
    db_url, evidence, decided, finding = reviewed
    data = yaml.safe_load((exported / "data.yaml").read_text())
    assert data["names"] == {0: "person", 1: "cell phone"}
    assert (data["train"], data["val"]) == ("images/train", "images/val")
    manifest = _manifest(exported)
    # every reviewed candidate, and the confirmed finding's verdict crops
    assert {e["candidate_id"] for e in manifest if e["source"] == "candidates"} == set(decided)
    from_finding = [e for e in manifest if e["source"] == "findings"]
    assert from_finding and {e["finding_id"] for e in from_finding} == {finding}
    assert all(e["review_id"] and e["reviewer"] == "ada" for e in from_finding)
    assert all(e["reviewer"] == "ada" and e["decision"] in ("confirmed", "dismissed")
               for e in manifest)  # fmt: skip
    days = {
        split: {e["day"] for e in manifest if e["split"] == split} for split in ("train", "val")
    }
    assert days["train"] and days["val"] and not days["train"] & days["val"]
    for e in manifest:
        image = exported / e["image"]
        label = exported / e["image"].replace("images/", "labels/").replace(".jpg", ".txt")
        lines = [line.split() for line in label.read_text().splitlines()]
        classes = [int(parts[0]) for parts in lines]
        assert all(c in (0, 1) for c in classes)
        assert all(0 <= float(v) <= 1 for parts in lines for v in parts[1:])
        assert classes.count(1) == e["phones"] == (e["decision"] == "confirmed")
        assert classes.count(0) == e["persons"] >= 1
        assert cv2.imread(str(image)).shape[:2] == (e["height"], e["width"])
    # the redrawn box is the label: [10, 12, 40, 50] of the first confirmed crop
    first = next(c for c in decided.values() if c["reviewed_box"] == [10, 12, 40, 50])
    e = next(e for e in manifest if e["candidate_id"] == first["id"])
    label = exported / e["image"].replace("images/", "labels/").replace(".jpg", ".txt")
    phone = next(line for line in label.read_text().splitlines() if line.startswith("1 "))
    w, h = first["width"], first["height"]
    assert [float(v) for v in phone.split()[1:]] == pytest.approx(
        [25 / w, 31 / h, 30 / w, 38 / h], abs=1e-5
    )


def test_export_copies_the_blurred_crops_and_skips_a_bad_file(reviewed, tmp_path):
    db_url, evidence, decided, _ = reviewed
    # exported images are the stored crops byte for byte: blurred when kept, never re-read
    out = tmp_path / "ds"
    bad_evidence = tmp_path / "evidence"
    shutil.copytree(evidence, bad_evidence)
    db = Database(db_url)
    with db.session() as s:
        victim = s.get(m.PhoneCandidate, next(iter(decided)))
        (bad_evidence / victim.image).write_bytes(b"not a jpeg")
        # files are named by content: the same crop of both days is one file
        dropped = set(
            s.scalars(select(m.PhoneCandidate.id).where(m.PhoneCandidate.image == victim.image))
        )
    report = export_dataset(db, bad_evidence, out)
    skipped = {int(x["key"].split(":")[1]) for x in report.skipped}
    assert skipped == dropped & {*decided, *skipped} and victim.id in skipped
    assert all("not a readable image" in x["reason"] for x in report.skipped)
    manifest = _manifest(out)
    assert not skipped & {e["candidate_id"] for e in manifest}
    with db.session() as s:
        for e in manifest:
            row = s.get(m.PhoneCandidate, e["candidate_id"])
            assert (out / e["image"]).read_bytes() == (evidence / row.image).read_bytes()
    with pytest.raises(DatasetError, match="1 camera-day"):  # --since leaves one day
        export_dataset(db, evidence, out, since=date(2024, 5, 7))
    db.dispose()


def test_one_camera_day_cannot_be_split():
    with pytest.raises(DatasetError, match="needs two or more"):
        split_camera_days([("B", "cam", date(2024, 5, 6))])
    val = split_camera_days([("B", "cam", date(2024, 5, d)) for d in range(1, 11)])
    assert len(val) == 2  # a fifth, the same every time
    assert val == split_camera_days([("B", "cam", date(2024, 5, d)) for d in range(10, 0, -1)])


@pytest.mark.skipif(
    not __import__("importlib").util.find_spec("ultralytics"), reason="needs the yolo extra"
)
def test_train_one_epoch_then_detect_and_evaluate_with_it(reviewed, exported, tmp_path, capsys,
                                                           monkeypatch):  # fmt: skip
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "ultralytics-config"))
    out = tmp_path / "model"
    argv = ["train", "--data", str(exported / "data.yaml"), "--model", "yolo11n.yaml",
            "--epochs", "1", "--imgsz", "64", "--batch", "4", "--device", "cpu", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["names"] == {"0": "person", "1": "cell phone"}
    assert metrics["final"]["epoch"] == 1 and "train/box_loss" in metrics["final"]
    assert cv2.imread(str(out / "curves.png")) is not None
    from matplotlib import get_data_path

    dejavu = (Path(get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf").read_bytes()
    from ultralytics.utils import USER_CONFIG_DIR  # ours unless imported before the test

    fonts = list(Path(USER_CONFIG_DIR).glob("Arial*.ttf"))
    assert len(fonts) == 2 and all(f.read_bytes() == dejavu for f in fonts)  # no download
    capsys.readouterr()

    image = exported / _manifest(exported)[0]["image"]
    assert main(["detect", str(image), "--backend", "yolo", "--weights",
                 str(out / "weights.pt"), "--json"]) == 0  # fmt: skip
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert isinstance(line["detections"], list)

    db_url, evidence, _, _ = reviewed
    assert main(["evaluate", "--weights", str(out / "weights.pt"), "--db", db_url,
                 "--evidence", str(evidence), "--json"]) == 0  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["models"]) == {"shipped", "weights.pt"}
    # the training manifest beside the weights lists every exported image: none is left
    assert doc["excluded"] == len(_manifest(exported)) and doc["images"] == 0
