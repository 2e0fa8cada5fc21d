"""Fine-tuning a phone model on the bank's own reviewed footage, through ultralytics, and
offline: no dataset, weight or font download, whatever the machine can reach.

ultralytics is imported as the yolo backend imports it (`YOLO_OFFLINE`, no auto-install,
a private config dir). Its plots want `Arial.ttf` in that dir and download it when it is
missing, so a local font (matplotlib's DejaVu Sans) is put there first under that name.
AMP is off on the CPU; on a GPU it is on, without ultralytics' AMP check, which would
fetch a model to compare with.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from detectors.backends.yolo import import_ultralytics
from detectors.base import DetectorError

#: the fonts ultralytics' plotting asks for by name (ASCII and non-ASCII labels)
FONTS = ("Arial.ttf", "Arial.Unicode.ttf")


@dataclass(frozen=True)
class TrainSettings:
    data: Path  # data.yaml of `branch-audit dataset export`
    model: str  # a .pt to fine-tune, or a .yaml architecture to train from scratch
    out: Path
    epochs: int = 50
    imgsz: int = 640
    device: str = "cpu"  # cpu, or a CUDA device index such as 0
    batch: int = 16
    workers: int = 0  # dataloader processes; 0 loads in the training process


@dataclass(frozen=True)
class TrainResult:
    weights: Path
    curves: Path
    metrics: Path
    final: dict[str, float]


def local_fonts(config_dir: Path) -> None:
    """Put a local font where ultralytics looks before it downloads one."""
    from matplotlib import get_data_path

    source = Path(get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    config_dir.mkdir(parents=True, exist_ok=True)
    for name in FONTS:
        if not (config_dir / name).is_file():
            shutil.copyfile(source, config_dir / name)


def _check(s: TrainSettings) -> None:
    if not s.data.is_file():
        raise DetectorError(f"--data {s.data}: no such file (make one with dataset export)")
    if s.epochs < 1 or s.imgsz < 32 or s.batch < 1:
        raise DetectorError("--epochs and --batch must be ≥ 1, --imgsz ≥ 32")
    model = Path(s.model)
    if model.suffix not in (".pt", ".yaml"):
        raise DetectorError(f"--model {s.model}: a .pt to fine-tune or a .yaml architecture")
    if model.suffix == ".pt" and not model.is_file():
        raise DetectorError(f"--model {s.model}: no such file (nothing is downloaded)")


def train(s: TrainSettings) -> TrainResult:
    """Train, then write `weights.pt`, `curves.png` and `metrics.json` under `s.out`."""
    _check(s)
    YOLO = import_ultralytics()
    from ultralytics.utils import USER_CONFIG_DIR

    local_fonts(Path(USER_CONFIG_DIR))
    cpu = s.device == "cpu"
    model = YOLO(s.model, task="detect")
    try:
        # ultralytics' AMP check downloads a model to compare against: skipped, AMP stays
        # on on a GPU as after a check that could not run
        with mock.patch("ultralytics.engine.trainer.check_amp", lambda model: True):
            model.train(
                data=str(s.data.resolve()), epochs=s.epochs, imgsz=s.imgsz, device=s.device,
                batch=s.batch, workers=s.workers, amp=not cpu, project=str(s.out.resolve()),
                name="ultralytics", exist_ok=True, plots=True, verbose=False, val=True,
            )  # fmt: skip
    except (FileNotFoundError, RuntimeError, ValueError, SyntaxError) as exc:
        raise DetectorError(f"training failed: {exc}") from exc
    run = Path(model.trainer.save_dir)
    best = run / "weights" / "best.pt"
    weights = s.out / "weights.pt"
    shutil.copyfile(best if best.is_file() else run / "weights" / "last.pt", weights)
    rows = _results(run / "results.csv")
    curves = s.out / "curves.png"
    plot_curves(rows, curves)
    final = {k: v for k, v in rows[-1].items()} if rows else {}
    manifest = s.data.parent / "manifest.jsonl"  # what it saw: evaluate leaves it out
    if manifest.is_file():
        shutil.copyfile(manifest, s.out / "manifest.jsonl")
    metrics = s.out / "metrics.json"
    doc = {
        "weights": weights.name, "base": s.model, "data": str(s.data), "epochs": s.epochs,
        "imgsz": s.imgsz, "device": s.device, "names": dict(model.names), "final": final,
        "epochs_run": rows,
    }  # fmt: skip
    metrics.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return TrainResult(weights, curves, metrics, final)


def _results(path: Path) -> list[dict[str, float]]:
    """ultralytics' per-epoch results.csv as numbers (its headers carry spaces)."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return [
            {k.strip(): float(v) for k, v in row.items() if k and v not in (None, "")}
            for row in csv.DictReader(f)
        ]


def plot_curves(rows: list[dict[str, float]], path: Path) -> None:
    """Losses and validation metrics per epoch, one panel each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = [k for k in (rows[0] if rows else {}) if "loss" in k]
    scores = [k for k in (rows[0] if rows else {}) if k.startswith("metrics/")]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(rows)]
    for k in losses:
        a.plot(epochs, [r[k] for r in rows], marker="o", label=k)
    for k in scores:
        b.plot(epochs, [r[k] for r in rows], marker="o", label=k.removeprefix("metrics/"))
    a.set_title("Losses")
    b.set_title("Validation")
    for ax in (a, b):
        ax.set_xlabel("epoch")
        if ax.lines:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
