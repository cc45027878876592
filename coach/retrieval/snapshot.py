"""A read-only copy of the Chroma collection's vectors, for short-lived processes.

`coach reply` and `coach retrieve` start a fresh process per call; importing chromadb alone costs
about 0.75 s of the 1 s budget. After every ingest the embedded index is exported here (same
vectors, same ids, keyed by the same principle-file fingerprint), and those commands search it
with numpy: exact cosine over a few hundred vectors, the same ranking Chroma gives
(`tests/test_snapshot.py` pins the parity). Chroma stays the index of record; the app and server
mode always use it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from coach.retrieval.search import ChunkMatch

ARRAYS = ("vectors", "documents", "principle_ids", "kinds")


def _checksum(arrays: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    for name in ARRAYS:
        a = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def snapshot_path(data_dir: Path, sha256: str) -> Path:
    return data_dir / f"index-snapshot-{sha256[:16]}.npz"


def export_snapshot(collection: Any, path: Path) -> None:
    """Write the collection's vectors and metadata next to the index (atomically)."""
    got = collection.get(include=["embeddings", "documents", "metadatas"])
    metas = got["metadatas"]
    path.parent.mkdir(parents=True, exist_ok=True)
    # One temporary name per process: two writers never interleave one file.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    arrays = {
        "vectors": np.asarray(got["embeddings"], dtype=np.float32),
        "documents": np.asarray(got["documents"], dtype=str),
        "principle_ids": np.asarray([m["principle_id"] for m in metas], dtype=str),
        "kinds": np.asarray([m["kind"] for m in metas], dtype=str),
    }
    np.savez(
        tmp,
        checksum=np.asarray(_checksum(arrays)),
        vectors=arrays["vectors"],
        documents=arrays["documents"],
        principle_ids=arrays["principle_ids"],
        kinds=arrays["kinds"],
    )
    tmp.replace(path)
    for old in path.parent.glob("index-snapshot-*.npz"):
        if old != path:
            old.unlink(missing_ok=True)


class SnapshotChunkSearch:
    """`ChunkSearch` over an exported snapshot: exact cosine in numpy."""

    def __init__(self, path: Path, encoder: Any) -> None:
        """Load and verify the snapshot; ValueError when it is cut short, reshaped or altered
        (the caller then searches Chroma, which writes a good one)."""
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in ARRAYS}
            stored = str(data["checksum"])
        n = len(arrays["documents"])
        vectors = arrays["vectors"]
        if vectors.ndim != 2 or vectors.shape[0] != n or not vectors.shape[1] or not n:
            raise ValueError("snapshot vectors do not match its documents")
        if any(len(arrays[k]) != n for k in ("principle_ids", "kinds")):
            raise ValueError("snapshot metadata does not match its documents")
        if stored != _checksum(arrays):
            raise ValueError("snapshot checksum does not match")
        self.vectors = vectors
        self.documents = [str(d) for d in arrays["documents"]]
        self.principle_ids = [str(p) for p in arrays["principle_ids"]]
        self.kinds = [str(k) for k in arrays["kinds"]]
        self.encoder = encoder

    def search(self, texts: Sequence[str]) -> list[list[ChunkMatch]]:
        queries = self.encoder.encode(list(texts))
        sims = queries @ self.vectors.T
        out = []
        for row in sims:
            order = np.argsort(-row)
            out.append(
                [
                    ChunkMatch(
                        self.principle_ids[i], self.kinds[i], self.documents[i], float(row[i])
                    )
                    for i in order
                ]
            )
        return out
