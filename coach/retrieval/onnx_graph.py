"""all-MiniLM-L6-v2 as an ONNX graph, built from the same safetensors weights the numpy encoder
reads, so that onnxruntime (already installed for Chroma) runs the forward pass.

Why: a message's few dozen tokens leave OpenBLAS's matmuls bound by packing the weights on
every call; onnxruntime packs them once, when the session opens. Measured back to back on this
project's 2-core machine (`benchmarks/triage.py`), the triage at first sight took 38.6 ms with
numpy and 19.0 ms with this graph, and the vectors agree with the numpy pass to 3e-7. The
graph is built once (about 0.2 s, `onnx` builds it) and kept in the cache folder; opening it
costs about 0.2 s a process.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from onnx import NodeProto, TensorProto

GRAPH_VERSION = "1"  # changes when the graph below changes


def build_graph(model_dir: Path) -> bytes:
    """The serialised ONNX model: token ids, positions and the key mask in, hidden states out
    (pooling stays in numpy, as in the numpy encoder)."""
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    w = load_file(str(model_dir / "model.safetensors"))
    config = json.loads((model_dir / "config.json").read_text())
    heads, layers = int(config["num_attention_heads"]), int(config["num_hidden_layers"])
    eps, hidden = float(config["layer_norm_eps"]), int(config["hidden_size"])
    head_dim = hidden // heads
    nodes: list[NodeProto] = []
    initialisers: list[TensorProto] = []
    count = 0

    def const(name: str, value: np.ndarray) -> str:
        initialisers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], **attrs: Any) -> str:
        nonlocal count
        count += 1
        out = f"t{count}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def dense(x: str, name: str) -> str:
        # Stored (out, in): the graph multiplies by its transpose, as torch's Linear does.
        weight = const(f"{name}.weight", w[f"{name}.weight"].T)
        return node("Add", [node("MatMul", [x, weight]), const(f"{name}.bias", w[f"{name}.bias"])])

    def layer_norm(x: str, name: str) -> str:
        weight, bias = (
            const(f"{name}.weight", w[f"{name}.weight"]),
            const(f"{name}.bias", w[f"{name}.bias"]),
        )
        return node("LayerNormalization", [x, weight, bias], axis=-1, epsilon=eps)

    words = node("Gather", [const("words", w["embeddings.word_embeddings.weight"]), "input_ids"])
    where = node(
        "Gather", [const("positions", w["embeddings.position_embeddings.weight"]), "position_ids"]
    )
    kind = const("token_type", w["embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(node("Add", [node("Add", [words, where]), kind]), "embeddings.LayerNorm")
    split = const("split", np.array([0, 0, heads, head_dim], np.int64))
    merge = const("merge", np.array([0, 0, hidden], np.int64))
    scale = const("scale", np.array(1 / math.sqrt(head_dim), np.float32))
    half, one = const("half", np.array(0.5, np.float32)), const("one", np.array(1.0, np.float32))
    root_half = const("root_half", np.array(1 / math.sqrt(2), np.float32))
    for n in range(layers):
        p = f"encoder.layer.{n}."

        def heads_of(name: str, perm: list[int], x: str = x, p: str = p) -> str:
            return node("Transpose", [node("Reshape", [dense(x, p + name), split])], perm=perm)

        q = heads_of("attention.self.query", [0, 2, 1, 3])
        k = heads_of("attention.self.key", [0, 2, 3, 1])
        v = heads_of("attention.self.value", [0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), "key_bias"])
        probs = node("Softmax", [scores], axis=-1)
        context = node("Transpose", [node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        attended = dense(node("Reshape", [context, merge]), p + "attention.output.dense")
        x = layer_norm(node("Add", [attended, x]), p + "attention.output.LayerNorm")
        inner = dense(x, p + "intermediate.dense")
        # BERT's exact GELU: x/2 * (1 + erf(x / sqrt 2)).
        erf = node("Erf", [node("Mul", [inner, root_half])])
        gelu = node("Mul", [node("Mul", [inner, half]), node("Add", [erf, one])])
        x = layer_norm(node("Add", [dense(gelu, p + "output.dense"), x]), p + "output.LayerNorm")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("key_bias", TensorProto.FLOAT, ["batch", 1, 1, "seq"]),
    ]
    output = helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "seq", hidden])
    graph = helper.make_graph(nodes, "all-MiniLM-L6-v2", inputs, [output], initialisers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what onnxruntime 1.18 and later read
    data: bytes = model.SerializeToString()
    return data


class OnnxForward:
    """The forward pass in onnxruntime, on up to two threads that sleep rather than spin.

    Measured on this 2-core machine, one three-sentence message: 21 ms on one thread, 15 ms
    on two; with the other core busy, 22 ms on two non-spinning threads against 30 ms on two
    spinning ones (the spinning threads fight, as OpenBLAS's did: `single_threaded_blas`).
    """

    def __init__(self, graph_path: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        self._session = ort.InferenceSession(
            str(graph_path), options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        positions = np.broadcast_to(np.arange(ids.shape[1], dtype=np.int64), ids.shape)
        key_bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        feeds = {
            "input_ids": ids,
            "position_ids": np.ascontiguousarray(positions),
            "key_bias": key_bias,
        }
        hidden: np.ndarray = self._session.run(["hidden"], feeds)[0]
        return hidden


def cached_graph(model_dir: Path, cache_dir: Path) -> Path:
    """The graph for these weights, built on first use and kept beside the other caches."""
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    path = cache_dir / f"minilm-v{GRAPH_VERSION}-{stat.st_size}-{int(stat.st_mtime)}.onnx"
    if not path.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(build_graph(model_dir))
        partial.replace(path)  # atomic: a second process never reads half a graph
    return path
