"""all-MiniLM-L6-v2 as an ONNX graph, built from the same safetensors weights the numpy encoder
reads, so that onnxruntime (already installed for Chroma) runs the forward pass.

Why: a message's few dozen tokens leave OpenBLAS's matmuls bound by packing the weights on
every call; onnxruntime packs them once, when the session opens, and its fused BERT kernels
(Attention, SkipLayerNormalization, BiasGelu) cut the nodes per layer from about twenty to
five. Measured back to back on this project's 2-core machine (`benchmarks/triage.py`), the
triage at first sight took 28 to 29 ms with numpy and 12.7 to 12.8 ms with this graph, and
the vectors agree with the numpy pass to 2e-6. The graph is built once (about 0.2 s, `onnx`
builds it) and kept in the cache folder, its weights in a file of their own beside it: then
onnxruntime maps them into memory instead of copying 90 MB out of the graph, and a session
opens in 0.04 s instead of 0.14 s. It opens on a thread of its own, while the process loads
everything else (onnxruntime lets go of the GIL while it does).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto, TensorProto

GRAPH_VERSION = "3"  # changes when the graph below (or how it is stored) changes


def build_graph(model_dir: Path) -> ModelProto:
    """The ONNX model: token ids, positions and the key mask in, hidden states out (pooling
    stays in numpy, as in the numpy encoder)."""
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    w = load_file(str(model_dir / "model.safetensors"))
    config = json.loads((model_dir / "config.json").read_text())
    heads, layers = int(config["num_attention_heads"]), int(config["num_hidden_layers"])
    eps, hidden = float(config["layer_norm_eps"]), int(config["hidden_size"])
    nodes: list[NodeProto] = []
    initialisers: list[TensorProto] = []
    count = 0

    def const(name: str, value: np.ndarray) -> str:
        initialisers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        nonlocal count
        count += 1
        out = f"t{count}"
        nodes.append(helper.make_node(op, inputs, [out], domain=domain, **attrs))
        return out

    def projection(prefix: str, name: str) -> tuple[np.ndarray, np.ndarray]:
        # Stored (out, in): the graph multiplies by its transpose, as torch's Linear does.
        key = f"{prefix}attention.self.{name}"
        return w[f"{key}.weight"].T, w[f"{key}.bias"]

    def skip_norm(x: str, skip: str, name: str) -> str:
        """LayerNorm(x @ dense + bias + skip): a dense layer, its residual and its norm."""
        product = node("MatMul", [x, const(f"{name}.dense.weight", w[f"{name}.dense.weight"].T)])
        return node(
            "SkipLayerNormalization",
            [
                product,
                skip,
                const(f"{name}.LayerNorm.weight", w[f"{name}.LayerNorm.weight"]),
                const(f"{name}.LayerNorm.bias", w[f"{name}.LayerNorm.bias"]),
                const(f"{name}.dense.bias", w[f"{name}.dense.bias"]),
            ],
            domain="com.microsoft",
            epsilon=eps,
        )

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
    for n in range(layers):
        p = f"encoder.layer.{n}."
        # onnxruntime's fused kernels for BERT (com.microsoft): one Attention node runs the
        # query, key and value projections as one product, and the residual adds, biases and
        # GELU ride inside the layer norms. 10 to 15% faster than the same sums spelled out
        # node by node (version 1 of this graph), and the vectors agree to 2e-6.
        qkv = [projection(p, k) for k in ("query", "key", "value")]
        attended = node(
            "Attention",
            [
                x,
                const(p + "qkv.weight", np.concatenate([m for m, _ in qkv], axis=1)),
                const(p + "qkv.bias", np.concatenate([b for _, b in qkv])),
                "mask",
            ],
            domain="com.microsoft",
            num_heads=heads,
        )
        x = skip_norm(attended, x, p + "attention.output")
        inner = node("MatMul", [x, const(p + "inner.weight", w[f"{p}intermediate.dense.weight"].T)])
        gelu = node(  # BERT's exact GELU, erf and all
            "BiasGelu",
            [inner, const(p + "inner.bias", w[p + "intermediate.dense.bias"])],
            domain="com.microsoft",
        )
        x = skip_norm(gelu, x, p + "output")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "seq"]),
    ]
    output = helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "seq", hidden])
    graph = helper.make_graph(nodes, "all-MiniLM-L6-v2", inputs, [output], initialisers)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
    )
    model.ir_version = 8  # what onnxruntime 1.18 and later read
    return model


class OnnxUnavailable(RuntimeError):
    """The graph could not be opened, even built again: the numpy pass takes over."""


class OnnxForward:
    """The forward pass in onnxruntime, on up to two threads that sleep rather than spin.

    Measured on this 2-core machine with version 1 of the graph, one three-sentence message:
    21 ms on one thread, 15 ms on two; with the other core busy, 22 ms on two non-spinning
    threads against 30 ms on two spinning ones (the spinning threads fight, as OpenBLAS's did:
    `single_threaded_blas`).

    The session opens in the background; the first pass waits for it. A graph that does not
    open (another process died writing it) is built again once; after that, `__call__` raises
    `OnnxUnavailable`.
    """

    def __init__(self, model_dir: Path, cache_dir: Path) -> None:
        import onnxruntime  # noqa: F401  (here: an import on the thread would fight for the GIL)

        self._session: Any = None
        self._error: Exception | None = None
        path = cached_graph(model_dir, cache_dir)
        # Only the session is opened on the thread: onnxruntime lets go of the GIL for it. Any
        # more Python there (an import) would take turns with the main thread's work and slow
        # both: measured, 0.8 s each instead of 0.04 s and 0.16 s.
        # Not a daemon: a process that exits at once still lets onnxruntime finish opening.
        self._opening = threading.Thread(
            target=self._open, args=(path, model_dir, cache_dir), name="onnx-open"
        )
        self._opening.start()

    def _open(self, path: Path, model_dir: Path, cache_dir: Path) -> None:
        try:
            try:
                self._session = _session(path)
            except Exception:  # a damaged file (another process died writing it): built again
                remove_graph(path)
                self._session = _session(cached_graph(model_dir, cache_dir))
        except Exception as exc:  # OSError, onnxruntime's own errors
            self._error = exc

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        self._opening.join()
        if self._session is None:
            raise OnnxUnavailable(str(self._error))
        positions = np.broadcast_to(np.arange(ids.shape[1], dtype=np.int64), ids.shape)
        feeds = {
            "input_ids": ids,
            "position_ids": np.ascontiguousarray(positions),
            "mask": mask.astype(np.int32),  # Attention reads 1 for a token, 0 for padding
        }
        hidden: np.ndarray = self._session.run(["hidden"], feeds)[0]
        return hidden


def _session(graph_path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # warnings about unused initialisers are noise here
    return ort.InferenceSession(str(graph_path), options, providers=["CPUExecutionProvider"])


def cached_graph_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where the graph for these weights is kept (its weights beside it, `<name>.data`)."""
    stat = (model_dir / "model.safetensors").stat()
    return cache_dir / f"minilm-v{GRAPH_VERSION}-{stat.st_size}-{int(stat.st_mtime)}.onnx"


def _weights_path(graph: Path) -> Path:
    return graph.with_name(graph.name + ".data")


def remove_graph(graph: Path) -> None:
    graph.unlink(missing_ok=True)
    _weights_path(graph).unlink(missing_ok=True)


def cached_graph(model_dir: Path, cache_dir: Path) -> Path:
    """The graph for these weights, built on first use and kept beside the other caches."""
    path = cached_graph_path(model_dir, cache_dir)
    weights = _weights_path(path)
    if path.is_file() and weights.is_file():
        return path
    import onnx

    cache_dir.mkdir(parents=True, exist_ok=True)
    # Both files are written in a folder of this process's own, then moved in weights first:
    # a second process never opens a graph whose weights are half written.
    partial = Path(tempfile.mkdtemp(prefix=".minilm-", dir=cache_dir))
    try:
        onnx.save_model(
            build_graph(model_dir),
            str(partial / path.name),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=weights.name,
            size_threshold=0,
        )
        (partial / weights.name).replace(weights)
        (partial / path.name).replace(path)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    # An older graph (another version, or weights since reinstalled) is never read again;
    # a process that still has one open keeps reading it until it exits.
    for stale in cache_dir.glob("minilm-v*.onnx*"):
        if stale not in (path, weights):
            stale.unlink(missing_ok=True)
    return path
