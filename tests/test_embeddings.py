"""The numpy encoder reproduces sentence-transformers' vectors, with no torch and no network."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from coach.retrieval.embeddings import langchain_embeddings

FIXTURE = Path(__file__).parent / "fixtures" / "minilm_reference.json"


def test_parity_with_sentence_transformers(encoder) -> None:
    """Reference vectors were computed once with sentence-transformers (see the fixture)."""
    ref = json.loads(FIXTURE.read_text())
    assert "sentence-transformers" in ref["generated_by"]
    ours = encoder.encode(ref["texts"])
    theirs = np.array(ref["vectors"], dtype=np.float64)
    cosines = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosines.min() >= 0.9999, cosines


def test_the_onnx_engine_computes_the_same_vectors(encoder, tmp_path: Path) -> None:
    """onnxruntime runs a graph built from the same weights: the reference vectors again, and
    the numpy pass's to float noise, for short, padded and truncated texts alike."""
    from coach.retrieval.embeddings import MiniLMEncoder

    fast = MiniLMEncoder(graph_dir=tmp_path)
    assert fast.engine == "onnx" and encoder.engine == "numpy"
    ref = json.loads(FIXTURE.read_text())
    texts = [*ref["texts"], "ok", "a deal that slipped " * 200]
    ours, numpy_pass = fast.encode(texts), encoder.encode(texts)
    assert np.abs(ours - numpy_pass).max() < 1e-5
    theirs = np.array(ref["vectors"], dtype=np.float64)
    n = len(theirs)
    assert ((ours[:n] * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)).min() >= 0.9999


def test_a_damaged_graph_is_built_again(tmp_path: Path) -> None:
    from coach.retrieval.embeddings import MiniLMEncoder
    from coach.retrieval.onnx_graph import cached_graph

    model_dir = MiniLMEncoder().model_dir
    path = cached_graph(model_dir, tmp_path)
    weights = path.with_name(path.name + ".data")
    weights.write_bytes(weights.read_bytes()[:1000])  # as if a process died writing it
    fast = MiniLMEncoder(graph_dir=tmp_path)
    assert np.allclose(np.linalg.norm(fast.encode(["hello"]), axis=1), 1.0, atol=1e-5)
    assert fast.engine == "onnx" and weights.stat().st_size > 1_000_000


def test_a_new_graph_replaces_the_old_ones(tmp_path: Path) -> None:
    from coach.retrieval.embeddings import MiniLMEncoder
    from coach.retrieval.onnx_graph import cached_graph

    stale = tmp_path / "minilm-v1-90868376-1.onnx"  # an earlier version of the graph
    stale.write_bytes(b"old")
    (tmp_path / "minilm-v2-90868376-1.onnx.data").write_bytes(b"old weights")
    path = cached_graph(MiniLMEncoder().model_dir, tmp_path)
    assert sorted(tmp_path.glob("minilm-*")) == [path, path.with_name(path.name + ".data")]


def test_vectors_are_unit_length_and_batch_independent(encoder) -> None:
    texts = ["short", "a much longer sentence about a deal that slipped last quarter " * 5]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)


def test_langchain_embeddings_interface(encoder) -> None:
    emb = langchain_embeddings(encoder)
    docs = emb.embed_documents(["I blamed marketing", "I owned the miss"])
    query = emb.embed_query("I blamed marketing")
    assert len(docs) == 2 and len(query) == 384
    assert np.allclose(docs[0], query, atol=1e-6)


def test_chroma_embedding_function(encoder) -> None:
    from coach.retrieval.index import MiniLMEmbeddingFunction

    ef = MiniLMEmbeddingFunction(encoder)
    out = ef(["hello there"])
    assert len(out) == 1 and len(out[0]) == 384
    rebuilt = MiniLMEmbeddingFunction.build_from_config(ef.get_config())
    assert np.allclose(rebuilt(["hello there"])[0], out[0])


def test_the_default_install_has_no_torch_and_starts_fast() -> None:
    code = (
        "import sys, time; t = time.perf_counter();"
        "from coach.retrieval.embeddings import MiniLMEncoder;"
        "e = MiniLMEncoder(); e.encode(['hi']);"
        "print(time.perf_counter() - t); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, torch_loaded = out.stdout.split()
    assert torch_loaded == "False"
    assert float(seconds) < 2.0  # measured ~0.4 s here; the bound leaves room for a busy CI box
