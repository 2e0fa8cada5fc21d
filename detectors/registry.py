"""The one factory of detectors: the CLI, the nightly worker and the phone stage name a
backend and weights here, and get a `Detector` (detectors/base.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from detectors.backends.digest import file_digest
from detectors.base import Detector, DetectorError

if TYPE_CHECKING:
    from detectors.backends.palm import PalmDetector

BACKENDS = ("onnx", "yolo")
#: the onnx backend's shipped or convertible models (detectors/models/README.md)
OnnxModel = Literal["nanodet", "nanodet-int8", "centernet"]
MODELS = Path(__file__).parent / "models"
#: NanoDet-m files by model name: fp32 as converted, INT8 from tools/quantize_nanodet.py
NANODET_FILES = {"nanodet": "nanodet-m-416.onnx", "nanodet-int8": "nanodet-m-416-int8.onnx"}
#: MediaPipe's palm detector, the phone stage's hands (detectors/backends/palm.py)
PALM_FILE = "palm_detection_full.tflite"


def load_detector(
    backend: str = "onnx",
    weights: str | Path | None = None,
    conf: float = 0.35,
    threads: int | None = None,
    model: OnnxModel = "nanodet",
) -> Detector:
    """A detector by backend name. `onnx` without weights is a NanoDet-m model shipped
    here (`model`: fp32 `nanodet`, or `nanodet-int8`, its INT8 quantization; `centernet`:
    CenterNet, converted by tools/convert_human_models.py);
    `yolo` needs the bank's weights (.pt, .onnx, .engine, or a .yaml architecture)."""
    if not 0.0 < conf < 1.0:
        raise DetectorError(f"confidence threshold must be between 0 and 1, got {conf}")
    if weights is not None and not Path(weights).is_file() and Path(weights).suffix != ".yaml":
        raise DetectorError(f"weights file not found: {weights}")
    if backend == "onnx" and model in NANODET_FILES:
        from detectors.backends.nanodet import NanoDetOnnx

        path = weights if weights is not None else MODELS / NANODET_FILES[model]
        return NanoDetOnnx(path, conf=conf, threads=threads)
    if backend == "onnx" and model == "centernet":
        from detectors.backends.centernet import CenterNetOnnx

        return CenterNetOnnx(weights, conf=conf, threads=threads)
    if backend == "yolo":
        from detectors.backends.yolo import UltralyticsDetector

        return UltralyticsDetector(weights, conf=conf)
    raise DetectorError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")


def load_palm_detector(threads: int | None = None, path: str | Path | None = None) -> PalmDetector:
    """The shipped palm detector (`path`: another copy of it), for the phone stage."""
    from detectors.backends.palm import PalmDetector

    return PalmDetector(path if path is not None else MODELS / PALM_FILE, threads=threads)


def weights_tag(weights: str | Path | None) -> str:
    """A model file named by path and content (`default` for the shipped one), so a
    fingerprint changes when the bank replaces the weights under the same name."""
    if weights is None:
        return "default"
    path = Path(weights)
    if not path.is_file():
        return str(path)
    return f"{path}@{file_digest(path)}"
