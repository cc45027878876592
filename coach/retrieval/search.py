"""Ranked principles for a piece of seller text: one hit per principle, best first.

Dense retrieval alone over short principle texts ranks badly (a blame story came out as
`eat-last`), and even over the signal phrases it reached only recall@3 0.73 on the labelled
reflections. What measurably works (README, "Retrieval quality") is a fusion, all of it from one
Chroma query:

- dense: the mean of the three best chunks of a principle, for the whole text and for its best
  sentence (a long vent usually has one sentence that carries it), averaged;
- centroid: the similarity to the principle's centroid chunk (the mean of its chunks);
- lexical: a small BM25 over each principle's signals, meaning and title, for the words a seller
  uses that the encoder underweights ("blame", "pipeline", "territory").
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from coach.errors import CoachError, ServiceError
from coach.limits import spread
from coach.principles import PrincipleSet
from coach.text import split_sentences

DENSE_TOP = 3
RECENT_QUERIES = 2048
LEXICAL_WEIGHT = 0.01
# A pasted page of notes is read as at most this many sentences, spread evenly over it: each
# sentence is one query vector, and the work must stay bounded whatever the length.
MAX_QUERY_SENTENCES = 24
# Chroma answers a query with one SQL statement holding every result id; 46 queries of the
# whole collection passed SQLite's variable limit ("too many SQL variables"). Small batches
# stay far below it.
CHROMA_QUERY_BATCH = 8


class IndexUnavailable(ServiceError, RuntimeError):
    """The Chroma server cannot be reached or refused the request."""


class EmptyQuery(CoachError, ValueError):
    """There is no text to retrieve for."""


@dataclass(frozen=True)
class ChunkMatch:
    principle_id: str
    kind: str
    text: str
    similarity: float


class ChunkSearch(Protocol):
    """Similarity of every indexed chunk to each text (Chroma in production)."""

    def search(self, texts: Sequence[str]) -> list[list[ChunkMatch]]: ...


@dataclass(frozen=True)
class Hit:
    """One principle, scored against the query, with the chunk that matched best."""

    id: str
    title: str
    score: float
    quote: str
    matched_text: str
    matched_kind: str
    components: dict[str, float] = field(default_factory=dict, compare=False)
    # The seller's sentence that spoke most to this principle (the whole text when it is one).
    evidence: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "score": round(self.score, 4),
            "quote": self.quote,
            "matched": {"kind": self.matched_kind, "text": self.matched_text},
            "components": {k: round(v, 4) for k, v in self.components.items()},
        }


class ChromaChunkSearch:
    """`ChunkSearch` over a Chroma collection built by `coach.retrieval.index`.

    Every chunk is scored for every query: the collection is a few hundred chunks, and the fusion
    needs each principle's best chunks and centroid. Chroma's HNSW graph can leave a node or two
    unreachable (measured: 696 to 698 of 698 returned, varying with the build), so any chunk the
    graph search did not return is fetched and scored exactly: rankings never depend on luck.
    """

    def __init__(self, collection: object, encoder: Any) -> None:
        from chromadb.api.models.Collection import Collection

        assert isinstance(collection, Collection)
        self.collection = collection
        self.encoder = encoder
        self.size = collection.count()
        self._all_ids: list[str] | None = None

    def search(self, texts: Sequence[str]) -> list[list[ChunkMatch]]:
        vectors = self.encoder.encode(list(texts)).tolist()
        # Only the first query (the whole text) shows a chunk's words; the sentence queries are
        # scores, and leaving their documents out halves what Chroma hands back.
        out = self._query(vectors[:1], documents=True)
        for start in range(1, len(vectors), CHROMA_QUERY_BATCH):
            out += self._query(vectors[start : start + CHROMA_QUERY_BATCH], documents=False)
        return out

    def _query(self, vectors: list[list[float]], documents: bool) -> list[list[ChunkMatch]]:
        result = self.collection.query(
            query_embeddings=vectors,
            n_results=self.size,
            include=["metadatas", "distances", "documents"]
            if documents
            else ["metadatas", "distances"],
        )
        out: list[list[ChunkMatch]] = []
        for q, (ids, metas, dists, docs) in enumerate(
            zip(
                result["ids"],
                result["metadatas"] or [],
                result["distances"] or [],
                result["documents"] or [[""] * len(i) for i in result["ids"]],
                strict=True,
            )
        ):
            # cosine space: distance = 1 - cosine similarity
            matches = [
                ChunkMatch(str(m["principle_id"]), str(m["kind"]), doc, 1.0 - float(d))
                for m, d, doc in zip(metas, dists, docs, strict=True)
            ]
            if len(ids) < self.size:
                matches += self._missing(set(ids), vectors[q])
            out.append(matches)
        return out

    def _missing(self, returned: set[str], vector: list[float]) -> list[ChunkMatch]:
        import numpy as np

        if self._all_ids is None:
            self._all_ids = list(self.collection.get(include=[])["ids"])
        missing = [i for i in self._all_ids if i not in returned]
        got = self.collection.get(ids=missing, include=["embeddings", "metadatas", "documents"])
        query = np.asarray(vector, dtype=np.float32)
        return [
            ChunkMatch(
                str(m["principle_id"]),
                str(m["kind"]),
                doc,
                float(np.asarray(e, dtype=np.float32) @ query),
            )
            for e, m, doc in zip(got["embeddings"], got["metadatas"], got["documents"], strict=True)
        ]


_STOP = frozenset(
    """i me my we our you your the a an and or but to of in on for with at by is was are be been
    it this that so just not no do did have has had as from they them he she his her its im
    dont cant get got like really all up out about what when there their than then too very
    one""".split()
)


def lexical_tokens(text: str) -> list[str]:
    """Lowercase word stems (a crude suffix strip is enough for BM25 over a small corpus)."""
    out = []
    for word in re.findall(r"[a-z0-9']+", text.lower()):
        w = word.strip("'").replace("'", "")
        if w in _STOP or len(w) < 2:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
        out.append(w)
    return out


class Lexicon:
    """BM25 over one document per principle (its signals, meaning and title)."""

    def __init__(self, principles: PrincipleSet, k1: float = 1.2, b: float = 0.75) -> None:
        self.ids = principles.ids
        docs = [
            lexical_tokens(" ".join(p.signals) + " " + p.meaning + " " + p.title)
            for p in principles.principles
        ]
        self.k1, self.b = k1, b
        self.lengths = [len(d) for d in docs]
        self.avg_length = sum(self.lengths) / max(len(docs), 1)
        self.tfs = [Counter(d) for d in docs]
        df = Counter(w for d in docs for w in set(d))
        n = len(docs)
        self.idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}

    def vocabulary(self, principle_id: str) -> frozenset[str]:
        """The stems that carry the most weight for one principle."""
        tf = self.tfs[self.ids.index(principle_id)]
        return frozenset(w for w in tf if self.idf.get(w, 0.0) > 1.0)

    def scores(self, text: str) -> dict[str, float]:
        query = set(lexical_tokens(text))
        out: dict[str, float] = {}
        for pid, tf, length in zip(self.ids, self.tfs, self.lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / self.avg_length)
            out[pid] = sum(
                self.idf[w] * tf[w] * (self.k1 + 1) / (tf[w] + norm) for w in query if w in tf
            )
        return out


def sentences(text: str, limit: int = MAX_QUERY_SENTENCES) -> list[str]:
    """The text's sentences; past `limit`, that many spread evenly from first to last."""
    parts = [s for s in split_sentences(text, marks=".!?;", lines=True) if len(s) > 2]
    parts = [parts[i] for i in spread(len(parts), limit)]
    return parts or [text]


class PrincipleRetriever:
    """Fuse dense, centroid and lexical evidence into one score per principle."""

    def __init__(
        self, search: ChunkSearch, principles: PrincipleSet, relevance_threshold: float
    ) -> None:
        self.search = search
        self.principles = principles
        self.relevance_threshold = relevance_threshold
        self.lexicon = Lexicon(principles)
        # The same text is often looked up again (a turn and its review, a draft's template
        # sentences, the evals): rankings are deterministic, so keep the recent ones.
        self._recent: OrderedDict[str, list[Hit]] = OrderedDict()
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Begin what the first query needs, without waiting for it: Chroma's opening, for a
        search that defers it (coach/retrieval/deferred.py); nothing for the others."""
        start = getattr(self.search, "start", None)
        if callable(start):
            start()

    def retrieve(self, text: str, k: int = 3) -> list[Hit]:
        """The top k principles for the text, best first, one hit per principle."""
        text = text.strip() if text else ""
        if not text:
            raise EmptyQuery("Nothing to look up: the text is empty.")
        with self._lock:
            if text in self._recent:
                self._recent.move_to_end(text)
                return self._recent[text][:k]
        ranked = self._rank(text)
        with self._lock:
            self._recent[text] = ranked
            while len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return ranked[:k]

    def _rank(self, text: str) -> list[Hit]:
        parts = sentences(text)
        queries = [text, *parts] if len(parts) > 1 else [text]
        per_query = self.search.search(queries)

        whole = self._dense(per_query[0])
        by_sentence = [self._dense(m) for m in per_query[1:]] or [whole]
        sentence_texts = parts if len(parts) > 1 else [text]
        best_sentence: dict[str, float] = {}
        evidence: dict[str, str] = {}
        for pid in self.principles.ids:
            scores = [d[pid][0] for d in by_sentence]
            best = max(range(len(scores)), key=scores.__getitem__)
            best_sentence[pid] = scores[best]
            evidence[pid] = sentence_texts[best]
        centroid = dict.fromkeys(self.principles.ids, 0.0)
        for m in per_query[0]:
            if m.kind == "centroid" and m.principle_id in centroid:
                centroid[m.principle_id] = m.similarity
        lexical = self.lexicon.scores(text)

        hits = []
        for pid in self.principles.ids:
            dense = 0.5 * whole[pid][0] + 0.5 * best_sentence[pid]
            score = 0.5 * dense + 0.5 * centroid[pid] + LEXICAL_WEIGHT * lexical[pid]
            best_chunk = whole[pid][1]
            p = self.principles.get(pid)
            hits.append(
                Hit(
                    id=pid,
                    title=p.title,
                    score=score,
                    quote=p.source_quote,
                    matched_text=best_chunk.text if best_chunk else "",
                    matched_kind=best_chunk.kind if best_chunk else "",
                    components={
                        "dense": dense,
                        "centroid": centroid[pid],
                        "lexical": lexical[pid],
                    },
                    evidence=evidence[pid],
                )
            )
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits

    def is_reflection(self, hits: Sequence[Hit]) -> bool:
        """Whether the best hit clears the calibrated relevance threshold."""
        return bool(hits) and hits[0].score >= self.relevance_threshold

    def _dense(self, matches: Sequence[ChunkMatch]) -> dict[str, tuple[float, ChunkMatch | None]]:
        """Per principle: the mean of its best chunk similarities, and its best chunk."""
        grouped: dict[str, list[ChunkMatch]] = {pid: [] for pid in self.principles.ids}
        for m in matches:
            if m.kind != "centroid" and m.principle_id in grouped:
                grouped[m.principle_id].append(m)
        out: dict[str, tuple[float, ChunkMatch | None]] = {}
        for pid, ms in grouped.items():
            ms.sort(key=lambda m: m.similarity, reverse=True)
            top = ms[:DENSE_TOP]
            out[pid] = (sum(m.similarity for m in top) / len(top), top[0]) if top else (0.0, None)
        return out
