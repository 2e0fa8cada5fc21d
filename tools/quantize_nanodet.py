"""Cheaper variants of the shipped NanoDet-m: a smaller input (320) and/or INT8 weights and
activations (onnxruntime static quantization, QDQ, per-channel), from
`detectors/models/nanodet-m-416.onnx`.

The network is fully convolutional: its four FPN Resizes take scales, not sizes, and every
SAME pad is (0, 1) on the even sides of 416 and of 320 alike, so a 320 model is the same
graph with its input and output shapes rewritten. INT8 calibration feeds frames of the
three real clips exactly as inference does (`detectors.backends.nanodet.model_input`),
taken half a second off the whole seconds: the accuracy tests and
`benchmarks/observe_accuracy.py` score samples at whole seconds, so no scored frame is a
calibration frame — but the scenes are the same ones (there is no other labelled footage).

`onnx` serves this script only: keep it out of the project venv, e.g.::

    python3 -m pip install --target /tmp/quant-deps --no-deps onnx==1.23.2 ml_dtypes==0.7.0
    PYTHONPATH=.:/tmp/quant-deps .venv/bin/python tools/quantize_nanodet.py \\
        detectors/models/nanodet-m-416-int8.onnx --int8

With onnxruntime 1.32.0 and onnx 1.23.2 the output is byte-identical from run to run (MinMax
calibration on a fixed frame list; the script checks it by quantizing twice with
`--check-determinism`). The sha256 of what it wrote is in `detectors/models/README.md`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from detectors.backends.nanodet import DEFAULT_WEIGHTS, STRIDES, model_input  # noqa: E402
from sample_videos.recordings import footage_dir  # noqa: E402

CLIPS = ("one-by-one-person-detection.mp4", "bottle-detection.mp4", "vtest.avi")
CALIB_EVERY_S = 2.0  # one calibration frame per 2 s of each clip …
CALIB_OFFSET_S = 0.5  # … half a second off the scored whole seconds


def calibration_frames(footage: Path, every: float = CALIB_EVERY_S) -> Iterator[np.ndarray]:
    """BGR frames at t = offset + k * every of each clip, in a fixed order."""
    for name in CLIPS:
        with av.open(str(footage / name)) as container:
            stream = container.streams.video[0]
            due = CALIB_OFFSET_S
            for frame in container.decode(stream):
                t = float(frame.pts * stream.time_base)
                if t + 1e-6 >= due:
                    yield frame.to_ndarray(format="bgr24")
                    due += every


def pool_padding(model):
    """The stem's Pad(-inf) → MaxPool pair as one MaxPool with `pads` (the same maximum):
    calibration would see the -inf border and give the pooled tensor an infinite scale."""
    import onnx
    from onnx import numpy_helper

    inits = {i.name: i for i in model.graph.initializer}
    nodes = list(model.graph.node)
    for pad in nodes:
        if pad.op_type != "Pad" or len(pad.input) < 3 or pad.input[2] not in inits:
            continue
        if numpy_helper.to_array(inits[pad.input[2]]).item() != -np.inf:
            continue
        (pool,) = (n for n in nodes if pad.output[0] in n.input)
        if pool.op_type != "MaxPool" or any(a.name == "pads" for a in pool.attribute):
            raise SystemExit(f"unexpected -inf pad before {pool.op_type} {pool.name}")
        p = numpy_helper.to_array(inits[pad.input[1]]).tolist()  # NCHW begins, then ends
        if p[:2] != [0, 0] or p[4:6] != [0, 0]:
            raise SystemExit(f"{pad.name} pads the batch or channels: {p}")
        pool.attribute.append(onnx.helper.make_attribute("pads", [p[2], p[3], p[6], p[7]]))
        pool.input[0] = pad.input[0]
        model.graph.node.remove(pad)
    used = {i for n in model.graph.node for i in n.input}
    for init in [i for i in model.graph.initializer if i.name not in used]:
        model.graph.initializer.remove(init)
    return model


def resized(model, size: int):
    """The same graph with a size x size input (a copy; the batch stays dynamic)."""
    import onnx

    model = onnx.ModelProto.FromString(model.SerializeToString())
    if size % max(STRIDES) or (size // 2) % 2:
        raise SystemExit(f"input size must be a multiple of 32 with even halves, got {size}")
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value = dims[3].dim_value = size
    for out in model.graph.output:
        stride = int(out.name.rsplit("_s", 1)[1])
        out.type.tensor_type.shape.dim[1].dim_value = (size // stride) ** 2
    del model.graph.value_info[:]  # intermediate shapes of 416: let onnxruntime infer them
    return model


def quantized(model_path: Path, out_path: Path, size: int, footage: Path, every: float) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Frames(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = (
                {"input": model_input(f, size)[0][None]} for f in calibration_frames(footage, every)
            )

        def get_next(self):
            return next(self._it, None)

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        # fold the TF-style Pads into the Convs etc. before Q/DQ nodes are placed
        quant_pre_process(str(model_path), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared), str(out_path), Frames(),
            quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            # MinMax keeps only each tensor's per-frame min and max, so memory stays small.
            # Not CalibMaxIntermediateOutputs: onnxruntime 1.32 drops, not merges, each
            # full chunk (calibrate.py, MinMaxCalibrater.collect_data), narrowing the ranges
            # to the last frames' and clipping person scores on the others.
            calibrate_method=CalibrationMethod.MinMax,
        )  # fmt: skip


def build(out_path: Path, size: int, int8: bool, footage: Path, every: float) -> str:
    """Write the variant; return its sha256."""
    import onnx

    model = pool_padding(onnx.load(str(DEFAULT_WEIGHTS)))
    if size != 416:
        model = resized(model, size)
    variant = f"{size}{'-int8' if int8 else ''}"
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        onnx.save(model, str(fp32))
        if int8:
            quantized(fp32, Path(tmp) / "q.onnx", size, footage, every)
            model = onnx.load(str(Path(tmp) / "q.onnx"))
        else:
            model = onnx.load(str(fp32))
    model.producer_name = "branch-audit tools/quantize_nanodet.py"
    model.doc_string = (
        f"NanoDet-m COCO-80 {size}x{size}"
        + (", INT8 (onnxruntime static QDQ, per-channel, MinMax on real clips)" if int8 else "")
        + f", from nanodet-m-416.onnx; inputs and outputs as that model (outputs {size}/8, "
        f"/16, /32 squared anchors). NanoDet by RangiLyu, Apache-2.0; TFJS port by Vladimir "
        "Mandic, MIT."
    )
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, {"variant": variant})
    out_path.write_bytes(model.SerializeToString())
    return hashlib.sha256(out_path.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", type=Path)
    ap.add_argument("--size", type=int, default=416, help="input side (416 or 320)")
    ap.add_argument("--int8", action="store_true", help="static INT8 quantization")
    ap.add_argument("--footage", type=Path, default=footage_dir())
    ap.add_argument("--every", type=float, default=CALIB_EVERY_S, help="calibration spacing, s")
    ap.add_argument("--check-determinism", action="store_true", help="build twice, compare")
    args = ap.parse_args()
    digest = build(args.output, args.size, args.int8, args.footage, args.every)
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB) sha256 {digest}")
    if args.check_determinism:
        with tempfile.TemporaryDirectory() as tmp:
            again = build(Path(tmp) / "again.onnx", args.size, args.int8, args.footage, args.every)
        if again != digest:
            sys.exit(f"not deterministic: second build has sha256 {again}")
        print("second build byte-identical")


if __name__ == "__main__":
    main()
