"""Ultralytics backend: the production path for a bank's own YOLO weights on GPUs.

ultralytics is an optional extra (`pip install branch-audit[yolo]`); it is imported only
here, with the offline switches set first, because a bare import looks up public hosts
and may try to pip-install missing packages.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import numpy as np

from detectors.backends.digest import file_digest
from detectors.base import DetectorError
from detectors.detections import Detections

SUPPORTED_SUFFIXES = (".pt", ".onnx", ".engine", ".torchscript", ".yaml")


def import_ultralytics():
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")
    os.environ.setdefault(
        "YOLO_CONFIG_DIR", str(Path.home() / ".cache" / "branch-audit" / "ultralytics")
    )
    try:
        # its log handler takes the stdout of import time: stderr, so `--json` stays JSON
        with contextlib.redirect_stdout(sys.stderr):
            from ultralytics import YOLO
    except ImportError as exc:
        raise DetectorError(
            "the yolo backend needs the ultralytics package: pip install 'branch-audit[yolo]'"
        ) from exc
    return YOLO


class UltralyticsDetector:
    """Any model ultralytics can load: `.pt`, `.onnx`, a TensorRT `.engine`, or a `.yaml`
    architecture (untrained; for testing the plumbing only)."""

    def __init__(
        self,
        weights: str | Path | None,
        conf: float = 0.35,
        imgsz: int = 640,
        device: str | None = None,
        iou: float = 0.6,
    ) -> None:
        if weights is None:
            raise DetectorError(
                "the yolo backend needs --weights: the bank's .pt, .onnx or .engine file"
            )
        path = Path(weights)
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise DetectorError(
                f"{weights}: not a YOLO model file (expected one of {', '.join(SUPPORTED_SUFFIXES)})"
            )
        YOLO = import_ultralytics()
        try:
            self._model = YOLO(str(weights), task="detect", verbose=False)  # stdout is for --json
            names = self._model.names
        except Exception as exc:  # ultralytics raises many types for a bad file
            raise DetectorError(f"{weights}: cannot load as a YOLO model: {exc}") from exc
        self.class_names = tuple(str(names[i]) for i in range(len(names)))
        self.conf, self.iou, self.imgsz, self.device = conf, iou, imgsz, device
        tag = file_digest(path) if path.is_file() else "untrained"
        self.version = f"ultralytics:{path.name}@{tag}"

    def detect(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        results = self._model.predict(
            list(frames),
            conf=self.conf,
            iou=self.iou,
            imgsz=self.imgsz,
            device=self.device,
            verbose=False,
        )
        return [
            Detections.from_arrays(
                r.boxes.xyxy.cpu().numpy(),
                r.boxes.conf.cpu().numpy(),
                r.boxes.cls.cpu().numpy(),
                self.class_names,
            )
            for r in results
        ]
