"""The principle index in Chroma: client, embedding function, chunks, and idempotent ingest.

Embedded (`PersistentClient` under the data directory) unless a Chroma server is configured, in
which case the same code talks to it through `HttpClient`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Chroma reads this when its settings module is imported: telemetry is off before that happens.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function

from coach.filelock import exclusive
from coach.principles import PrincipleSet
from coach.retrieval.cache import VectorCache, fingerprint
from coach.retrieval.embeddings import ENCODER_ID, MiniLMEncoder
from coach.retrieval.search import IndexUnavailable
from coach.settings import Settings

# Bumped when the collection's layout or configuration changes, so old indexes rebuild.
INDEX_VERSION = 2


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):  # type: ignore[misc]  # Any base
    """The torch-free MiniLM encoder as a Chroma embedding function (no download, ever)."""

    def __init__(self, encoder: MiniLMEncoder) -> None:
        self.encoder = encoder

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's signature
        return list(self.encoder.encode(list(input)))

    @staticmethod
    def name() -> str:
        return "pivot-coach-minilm"

    def default_space(self) -> Any:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model_dir": str(self.encoder.model_dir)}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(MiniLMEncoder(Path(config["model_dir"])))


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str
    principle_id: str
    kind: str


def chunk_principles(principles: PrincipleSet) -> list[Chunk]:
    """Several chunks per principle: its quote, its meaning, each signal, and its questions.

    Sellers write in the voice of the signals, not of the article, so the signals carry most of
    the retrieval; the quote and meaning catch reflections phrased in the article's own terms.
    """
    chunks: list[Chunk] = []
    for p in principles.principles:
        chunks.append(Chunk(f"{p.id}:quote", f"{p.title}. {p.source_quote}", p.id, "quote"))
        chunks.append(Chunk(f"{p.id}:meaning", p.meaning, p.id, "meaning"))
        for n, signal in enumerate(p.signals):
            chunks.append(Chunk(f"{p.id}:signal:{n}", signal, p.id, "signal"))
        questions = " ".join(q.text for q in p.questions)
        chunks.append(Chunk(f"{p.id}:questions", questions, p.id, "questions"))
    return chunks


def chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_client(settings: Settings) -> ClientAPI:
    """An HTTP client when a server is configured, else an embedded persistent one."""
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings()
            )
        except Exception as exc:  # chromadb raises several types for a dead server
            raise IndexUnavailable(
                f"Cannot reach the Chroma server at {settings.chroma_host}:"
                f"{settings.chroma_port} ({type(exc).__name__}); start it or unset "
                "COACH_CHROMA_HOST to use the embedded index."
            ) from None
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings())


@dataclass
class IndexStatus:
    collection: Collection
    rebuilt: bool
    message: str


def _collection_is_current(collection: Collection, principles: PrincipleSet, n_chunks: int) -> bool:
    meta = collection.metadata or {}
    return (
        meta.get("principles_sha256") == principles.sha256
        and meta.get("encoder") == ENCODER_ID
        and meta.get("index_version") == INDEX_VERSION
        and collection.count() == n_chunks
    )


def _build(
    client: ClientAPI,
    name: str,
    principles: PrincipleSet,
    ef: MiniLMEmbeddingFunction,
    cache: VectorCache,
) -> Collection:
    with contextlib.suppress(Exception):  # not there yet: nothing to delete
        client.delete_collection(name)
    collection = client.create_collection(
        name=name,
        embedding_function=ef,
        # ef_search above the collection size makes the "approximate" search exhaustive here: with
        # the default, a query for every chunk came back one short (a different one each time).
        configuration={"hnsw": {"space": "cosine", "ef_search": 2048, "ef_construction": 200}},
        metadata={
            "principles_sha256": principles.sha256,
            "encoder": ENCODER_ID,
            "index_version": INDEX_VERSION,
            "principles_file": principles.path.name,
        },
    )
    chunks = chunk_principles(principles)
    texts = [c.text for c in chunks]
    # Re-ingesting the same texts (another data dir, a wiped index) reuses their vectors.
    vectors = cache.get(
        "chunks", fingerprint([ENCODER_ID, *texts]), lambda: ef.encoder.encode(texts)
    )
    ids = [c.id for c in chunks]
    documents = [c.text for c in chunks]
    metadatas: list[dict[str, str]] = [
        {"principle_id": c.principle_id, "kind": c.kind} for c in chunks
    ]
    # One centroid per principle: the mean of its chunk vectors. It scores the reflection
    # against the principle as a whole, which is steadier than any single phrase.
    rows = list(vectors)
    for p in principles.principles:
        mine = vectors[[i for i, c in enumerate(chunks) if c.principle_id == p.id]]
        centroid = mine.mean(axis=0)
        rows.append(centroid / max(float(np.linalg.norm(centroid)), 1e-12))
        ids.append(f"{p.id}:centroid")
        documents.append(p.title)
        metadatas.append({"principle_id": p.id, "kind": "centroid"})
    collection.add(ids=ids, documents=documents, metadatas=metadatas, embeddings=rows)
    return collection


def ensure_index(
    client: ClientAPI,
    settings: Settings,
    principles: PrincipleSet,
    encoder: MiniLMEncoder,
    *,
    reset: bool = False,
) -> IndexStatus:
    """Open the principle collection, (re)building it when missing, stale or asked to.

    Keyed by the fingerprint of the principle file: running it again with the same file does
    nothing; an edited file triggers a rebuild. The message is one line for the user.
    """
    ef = MiniLMEmbeddingFunction(encoder)
    name = settings.chroma_collection
    n_chunks = len(chunk_principles(principles)) + len(principles.principles)  # + centroids
    reason = "rebuild requested" if reset else None
    if reason is None:
        try:
            collection = client.get_collection(name=name, embedding_function=ef)
        except Exception:
            reason = "no index yet"
        else:
            if _collection_is_current(collection, principles, n_chunks):
                return IndexStatus(
                    collection,
                    False,
                    f"Index up to date: {len(principles.principles)} principles, "
                    f"{n_chunks} chunks from {principles.path.name}.",
                )
            reason = f"{principles.path.name} changed"
    collection = _build(client, name, principles, ef, VectorCache(settings.cache_dir))
    return IndexStatus(
        collection,
        True,
        f"Index built ({reason}): {len(principles.principles)} principles, "
        f"{n_chunks} chunks from {principles.path.name}.",
    )


def open_index(
    settings: Settings, principles: PrincipleSet, encoder: MiniLMEncoder, *, reset: bool = False
) -> IndexStatus:
    """Open (or build) the index; an unreadable embedded index is wiped and rebuilt."""
    if settings.chroma_host:
        try:
            return ensure_index(open_client(settings), settings, principles, encoder, reset=reset)
        except IndexUnavailable:
            raise
        except Exception as exc:
            raise IndexUnavailable(
                f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} failed "
                f"({type(exc).__name__}); check that it is running and reachable."
            ) from None
    # One process at a time builds, checks or repairs the embedded index; the others wait and
    # then find it current (never delete what another process is building).
    with exclusive(settings.data_dir / "index.lock"):
        try:
            return ensure_index(open_client(settings), settings, principles, encoder, reset=reset)
        except Exception as exc:
            # The embedded index is a cache of the principle file: when it cannot be read, the
            # right move is to rebuild it, not to stop the seller.
            _wipe_embedded(settings.chroma_dir)
            status = ensure_index(open_client(settings), settings, principles, encoder, reset=True)
            status.message = (
                f"Index was unreadable ({type(exc).__name__}) and was rebuilt: "
                f"{len(principles.principles)} principles."
            )
            return status


def _wipe_embedded(path: Path) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    # Chroma caches one system per path in the process; drop it before deleting the files.
    SharedSystemClient.clear_system_cache()
    shutil.rmtree(path, ignore_errors=True)
