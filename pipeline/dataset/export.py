"""Reviewed phone evidence as a YOLO dataset, for `branch-audit train`.

`data.yaml`, `images/{train,val}/`, `labels/{train,val}/` (one `class cx cy w h` line per
box, fractions of the image), and `manifest.jsonl` naming each image's candidate, finding,
review and reviewer. Class 0 is `person` (the detector's boxes stored with the crop),
class 1 `cell phone` (the reviewed box): the names the rules look for, so the trained
model runs as `--phone-backend yolo` unchanged. A dismissed crop is written with its
persons and no phone: a hard negative.

Images are the stored crops, byte for byte: customers' heads were blurred when they were
kept, and nothing here reads the raw footage. The split is by camera-day, so frames of one
day, nearly alike, are never on both sides. A missing or unreadable image is reported and
skipped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import yaml

from pipeline.dataset.reviewed import SOURCES, ReviewedImage, reviewed_images
from pipeline.store.db import Database

NAMES = {0: "person", 1: "cell phone"}
PERSON, PHONE = 0, 1
VAL_SHARE = 0.2
MANIFEST = "manifest.jsonl"


class DatasetError(ValueError):
    """The dataset cannot be made as asked (nothing reviewed, one camera-day only, …)."""


@dataclass
class ExportReport:
    out: Path
    images: dict[str, int] = field(default_factory=lambda: {"train": 0, "val": 0})
    phones: int = 0
    negatives: int = 0
    #: {"image": path, "key": …, "reason": …} for each image left out
    skipped: list[dict] = field(default_factory=list)
    camera_days: dict[str, list[str]] = field(default_factory=dict)


def split_camera_days(keys: list[tuple], val_share: float = VAL_SHARE) -> set[tuple]:
    """The camera-days that go to validation: a fixed pseudo-random order (a digest of
    each key), so one database always splits alike, with at least one on each side."""
    if len(keys) < 2:
        raise DatasetError(
            f"{len(keys)} camera-day(s) reviewed: the split by camera-day needs two or "
            "more, so that no day is in both training and validation"
        )
    order = sorted(keys, key=lambda k: hashlib.sha256(repr(k).encode()).hexdigest())
    count = min(max(1, round(len(keys) * val_share)), len(keys) - 1)
    return set(order[:count])


def yolo_lines(record: ReviewedImage) -> list[str]:
    """One label line per box, clipped to the image; degenerate boxes are dropped."""
    lines = []
    boxes = [(PERSON, b) for b in record.persons] + [(PHONE, b) for b in record.phones]
    for cls, (x1, y1, x2, y2) in boxes:
        x1, x2 = (min(max(v, 0.0), record.width) for v in (x1, x2))
        y1, y2 = (min(max(v, 0.0), record.height) for v in (y1, y2))
        if x2 - x1 < 1 or y2 - y1 < 1:
            continue
        cx, cy = (x1 + x2) / 2 / record.width, (y1 + y2) / 2 / record.height
        w, h = (x2 - x1) / record.width, (y2 - y1) / record.height
        lines.append(f"{cls} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return lines


def _readable(path: Path, record: ReviewedImage) -> str | None:
    """Why the stored image cannot be used, or None."""
    if not path.is_file():
        return "not in the evidence store"
    image = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return "not a readable image"
    if image.shape[:2] != (record.height, record.width):
        return f"is {image.shape[1]}×{image.shape[0]}, the database says {record.width}×{record.height}"
    return None


def export_dataset(
    db: Database,
    evidence: Path,
    out: Path,
    since: date | None = None,
    sources: tuple[str, ...] = SOURCES,
    progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write the dataset under `out` (its images, labels and manifest are replaced)."""
    records = reviewed_images(db, since, sources)
    if not records:
        raise DatasetError("nothing reviewed to export: confirm or dismiss candidates first")
    val = split_camera_days(sorted({r.camera_day for r in records}))
    report = ExportReport(out)
    for sub in ("images", "labels"):
        shutil.rmtree(out / sub, ignore_errors=True)
        for split in ("train", "val"):
            (out / sub / split).mkdir(parents=True)
    with (out / MANIFEST).open("w", encoding="utf-8") as manifest:
        for i, record in enumerate(records):
            if progress:
                progress(i, len(records))
            source = evidence / record.image
            why = _readable(source, record)
            if why is not None:
                report.skipped.append({"image": record.image, "key": record.key, "reason": why})
                continue
            split = "val" if record.camera_day in val else "train"
            stem = f"{record.branch}_{record.camera}_{record.day}_{record.key.replace(':', '-')}"
            shutil.copyfile(source, out / "images" / split / f"{stem}.jpg")
            lines = yolo_lines(record)
            (out / "labels" / split / f"{stem}.txt").write_text(
                "".join(line + "\n" for line in lines), encoding="utf-8"
            )
            report.images[split] += 1
            report.phones += len(record.phones)
            report.negatives += not record.positive
            report.camera_days.setdefault(split, [])
            day = "/".join(map(str, record.camera_day))
            if day not in report.camera_days[split]:
                report.camera_days[split].append(day)
            entry = {
                "image": f"images/{split}/{stem}.jpg", "split": split,
                **{k: v for k, v in asdict(record).items() if k not in ("image", "phones", "persons")},
                "phones": len(record.phones), "persons": len(record.persons),
            }  # fmt: skip
            manifest.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        if progress:
            progress(len(records), len(records))
    if not report.images["train"] or not report.images["val"]:
        raise DatasetError(
            f"after skipping {len(report.skipped)} unreadable image(s), a split is empty "
            f"(train {report.images['train']}, val {report.images['val']})"
        )
    data = {"path": str(out.resolve()), "train": "images/train", "val": "images/val",
            "names": NAMES}  # fmt: skip
    (out / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return report


def manifest_keys(path: Path) -> set[str]:
    """The image keys a training manifest lists (what a model was trained and validated
    on), for the evaluation to leave out."""
    keys = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                keys.add(json.loads(line)["key"])
            except (json.JSONDecodeError, KeyError, TypeError):
                raise DatasetError(f"{path}:{n}: not a manifest line (JSON with a key)") from None
    return keys
