"""TFJS graph model → frozen TensorFlow GraphDef → ONNX: the machinery every converter shares.

TFJS has no Python loader. Its model.json topology *is* a GraphDef in protobuf-JSON form minus
the constant values, so this module decodes the weights manifest itself (float16-quantised
floats, affine uint8/uint16, int32), fills in the constants, and rewrites the ops that only
the TFJS runtime knows (`_FusedConv2D`, `FusedDepthwiseConv2dNative` as the TFJS converter
emits them) back into stock TensorFlow ops, so tf2onnx and a plain TF session can run it.

The per-model scripts (`convert_nanodet.py`, `convert_human_models.py`) import this and add
only what is specific to their model. Run them in the separate conversion venv (tensorflow,
tf2onnx, onnx); none of this is imported by the project at run time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

# TF's oneDNN kernels may compute in reduced precision on CPUs with AMX/bf16 (up to 1e-3
# relative on CenterNet here), which would fail the check against ONNX for TF's sake.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


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


def read_model(model_path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """model.json and its decoded weights."""
    model_json = json.loads(model_path.read_text())
    return model_json, load_weights(model_json, model_path.parent)


def build_graph_def(model_json: dict, weights: dict[str, np.ndarray]):
    """The frozen GraphDef: constants filled in, TFJS-only fused ops expanded."""
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
    _unfuse(graph_def)
    return graph_def


_FUSED = {"_FusedConv2D": "Conv2D", "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}
_ACTIVATIONS = {"Relu", "Relu6", "Sigmoid", "Tanh", "Elu"}
_CONV_ATTRS = ("T", "strides", "padding", "data_format", "dilations", "explicit_paddings")


def _unfuse(graph_def) -> None:
    """Expand the TFJS converter's fused convolutions into conv → BiasAdd → activation.

    TF's own `_FusedConv2D` is a grappler-internal op that tf2onnx does not take from a
    GraphDef, and `FusedDepthwiseConv2dNative` exists only in TFJS. The last op of the
    chain keeps the fused node's name, so consumers need no rewiring.
    """
    for node in list(graph_def.node):
        if node.op not in _FUSED:
            continue
        ops = [s.decode() for s in node.attr["fused_ops"].list.s]
        if not ops or ops[0] != "BiasAdd" or any(op not in _ACTIVATIONS for op in ops[1:]):
            raise ValueError(f"{node.name}: unsupported fused ops {ops}")
        if node.attr["num_args"].i != 1 or len(node.input) != 3:
            raise ValueError(f"{node.name}: expected one bias argument")
        name, (x, w, bias) = node.name, list(node.input)
        conv = graph_def.node.add(name=f"{name}/conv", op=_FUSED[node.op], input=[x, w])
        for key in _CONV_ATTRS:
            if key in node.attr and (key != "explicit_paddings" or node.attr[key].list.i):
                conv.attr[key].CopyFrom(node.attr[key])
        chain = [("BiasAdd", [conv.name, bias])] + [(op, []) for op in ops[1:]]
        prev = conv.name
        for k, (op, inputs) in enumerate(chain):
            last = k == len(chain) - 1
            n = graph_def.node.add(
                name=name if last else f"{name}/{op.lower()}", op=op, input=inputs or [prev]
            )
            n.attr["T"].CopyFrom(node.attr["T"])
            if op == "BiasAdd":
                n.attr["data_format"].CopyFrom(node.attr["data_format"])
            prev = n.name
        graph_def.node.remove(node)


def run_tf(graph_def, feeds: Mapping[str, np.ndarray], outputs: Sequence[str]) -> list[np.ndarray]:
    """Run the graph in a TF1 session: the reference the ONNX export is checked against."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        return sess.run([f"{o}:0" for o in outputs], {f"{k}:0": v for k, v in feeds.items()})


def to_onnx(graph_def, inputs: Mapping[str, str], outputs: Mapping[str, str], opset: int):
    """tf2onnx export with plain names: `inputs`/`outputs` map TF node names to ONNX names."""
    import tf2onnx

    model_proto, _ = tf2onnx.convert.from_graph_def(
        graph_def,
        input_names=[f"{k}:0" for k in inputs],
        output_names=[f"{k}:0" for k in outputs],
        opset=opset,
    )
    rename = {f"{k}:0": v for k, v in {**inputs, **outputs}.items()}
    for n in model_proto.graph.node:
        n.input[:] = [rename.get(i, i) for i in n.input]
        n.output[:] = [rename.get(o, o) for o in n.output]
    for vi in list(model_proto.graph.input) + list(model_proto.graph.output):
        vi.name = rename.get(vi.name, vi.name)
    return model_proto


def canonical_names(model_proto) -> None:
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


def save(model_proto, out_path: Path, producer: str, doc: str) -> None:
    """Canonical names, metadata, checker, write."""
    import onnx

    canonical_names(model_proto)
    model_proto.producer_name = producer
    model_proto.doc_string = doc
    onnx.checker.check_model(model_proto)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model_proto, str(out_path))


def max_diff_against_tf(
    reference_graph_def,
    onnx_path: Path,
    feeds: Sequence[Mapping[str, np.ndarray]],
    inputs: Mapping[str, str],
    outputs: Mapping[str, str],
    compare: Callable[[str, np.ndarray, np.ndarray], float] | None = None,
) -> float:
    """Largest difference between the TF graph and the ONNX file over `feeds` (TF names).

    `compare(onnx_output_name, tf_value, onnx_value)` overrides the plain max abs difference
    for outputs whose raw values are not comparable (e.g. ties in a top-k order).
    """
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    names = list(outputs.values())
    worst = 0.0
    for feed in feeds:
        ref = run_tf(reference_graph_def, feed, list(outputs))
        got = sess.run(names, {inputs[k]: v for k, v in feed.items()})
        for name, a, b in zip(names, ref, got, strict=True):
            d = compare(name, a, b) if compare else float(np.abs(a - b).max())
            worst = max(worst, d)
    return worst
