"""Server mode: the same ingest and retrieve code against a real `chroma run` on loopback."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.retrieval.index import IndexUnavailable, open_index
from coach.retrieval.search import ChromaChunkSearch, PrincipleRetriever
from coach.settings import Settings
from tests.servers import free_port, running


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert exe, "the chroma CLI ships with chromadb; it should be in the venv"
    port = free_port()
    log = tmp_path_factory.mktemp("chroma") / "server.log"
    cmd = [exe, "run", "--path", str(log.parent / "db"), "--host", "127.0.0.1"]
    cmd += ["--port", str(port)]
    ready = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    with running(cmd, ready, log, name="chroma run", timeout=30):
        yield port


def test_ingest_and_retrieve_through_a_chroma_server(
    chroma_server: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, principles, encoder
) -> None:
    monkeypatch.setenv("COACH_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("COACH_CHROMA_PORT", str(chroma_server))
    settings = Settings()
    assert settings.chroma_host == "127.0.0.1"

    first = open_index(settings, principles, encoder)
    assert first.rebuilt
    again = open_index(settings, principles, encoder)
    assert not again.rebuilt  # idempotent on the server too
    assert not settings.chroma_dir.exists()  # nothing embedded was written

    retriever = PrincipleRetriever(
        ChromaChunkSearch(again.collection, encoder), principles, settings.relevance_threshold
    )
    hits = retriever.retrieve("I told my VP the deal slipped because the product team shipped late")
    assert hits[0].id == "ownership"


def test_unreachable_server_is_one_clear_sentence(principles, encoder) -> None:
    settings = Settings(chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(IndexUnavailable, match=r"Cannot reach the Chroma server|failed"):
        open_index(settings, principles, encoder)
