"""The CLI's snapshot of the index ranks exactly as Chroma does."""

from __future__ import annotations

import threading
import time

from coach.retrieval.deferred import DeferredChunkSearch
from coach.retrieval.index import open_index
from coach.retrieval.search import ChromaChunkSearch, PrincipleRetriever
from coach.retrieval.snapshot import SnapshotChunkSearch, snapshot_path
from coach.wiring import build_retrieval

TEXTS = [
    "I told my VP the deal slipped because the product team shipped late.",
    "my pipeline for next quarter is empty and I'm scrambling again. one whale is 70% of my number",
    "I let the new rep take the bigger account. It hurt, but it was right.",
    "idk",
]


def test_snapshot_and_chroma_give_the_same_ranking(shared_settings, stack) -> None:
    path = snapshot_path(shared_settings.data_dir, stack.principles.sha256)
    assert path.is_file(), "build_retrieval exports the snapshot after ingest"
    snap = PrincipleRetriever(SnapshotChunkSearch(path, stack.encoder), stack.principles, 0.43)
    status = open_index(shared_settings, stack.principles, stack.encoder)
    chroma = PrincipleRetriever(
        ChromaChunkSearch(status.collection, stack.encoder), stack.principles, 0.43
    )
    every = len(stack.principles.ids)
    for text in TEXTS:
        a, b = snap.retrieve(text, k=every), chroma.retrieve(text, k=every)
        assert [h.id for h in a] == [h.id for h in b]
        for x, y in zip(a, b, strict=True):
            assert abs(x.score - y.score) < 1e-4


def test_chroma_returns_every_chunk(shared_settings, stack) -> None:
    """With Chroma's default ef_search a query for all chunks came back one short, a different
    one each time, which moved fused scores by up to 5.6e-4; the index sets ef_search high."""
    status = open_index(shared_settings, stack.principles, stack.encoder)
    search = ChromaChunkSearch(status.collection, stack.encoder)
    for text in TEXTS:
        assert len(search.search([text])[0]) == status.collection.count()


def test_fast_mode_uses_the_snapshot_and_falls_back_when_it_is_broken(
    shared_settings, stack
) -> None:
    fast = build_retrieval(shared_settings, fast=True)
    assert isinstance(fast.retriever.search, SnapshotChunkSearch)
    path = snapshot_path(shared_settings.data_dir, stack.principles.sha256)
    path.write_bytes(b"not an npz")
    again = build_retrieval(shared_settings, fast=True)
    assert isinstance(again.retriever.search, ChromaChunkSearch)
    rebuilt = build_retrieval(shared_settings, fast=True)  # the fallback rewrote it
    assert isinstance(rebuilt.retriever.search, SnapshotChunkSearch)


def test_the_app_opens_chroma_in_the_background_and_ranks_as_it_does(
    shared_settings, stack
) -> None:
    deferred = build_retrieval(shared_settings, defer=True)
    search = deferred.retriever.search
    assert isinstance(search, DeferredChunkSearch) and search.backend == "opening"
    deferred.retriever.warm()
    for text in TEXTS:
        assert [h.id for h in deferred.retriever.retrieve(text, k=4)] == [
            h.id for h in stack.retriever.retrieve(text, k=4)
        ]
    assert search.backend == "chroma"


class _Snapshot:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def search(self, texts):  # type: ignore[no-untyped-def]
        self.asked += texts
        return [[] for _ in texts]


def test_a_search_waits_for_chroma_which_opens_once() -> None:
    opened = threading.Event()
    calls: list[int] = []

    def slow_chroma() -> _Snapshot:
        calls.append(1)
        opened.wait(5)
        return chroma

    chroma, snapshot = _Snapshot(), _Snapshot()
    search = DeferredChunkSearch(slow_chroma, snapshot)
    workers = [threading.Thread(target=search.search, args=(["a"],)) for _ in range(4)]
    for w in workers:
        w.start()
    time.sleep(0.05)
    assert chroma.asked == [] and snapshot.asked == []  # nobody answered from a half-open index
    opened.set()
    for w in workers:
        w.join(5)
    assert calls == [1] and chroma.asked == ["a"] * 4 and snapshot.asked == []


def test_when_chroma_cannot_open_its_snapshot_answers() -> None:
    def broken() -> _Snapshot:
        raise PermissionError("data/chroma is read-only")

    snapshot = _Snapshot()
    search = DeferredChunkSearch(broken, snapshot)
    assert search.search(["my week"]) == [[]]
    assert snapshot.asked == ["my week"] and search.backend == "snapshot"
    assert search.failure is not None and "read-only" in search.failure
