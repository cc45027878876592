"""Server mode: the same ingest and retrieve code against a real `chroma run` on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.retrieval import ChromaChunkSearch, PrincipleRetriever
from coach.settings import Settings
from coach.vectorstore import IndexUnavailable, open_index


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert exe, "the chroma CLI ships with chromadb; it should be in the venv"
    port = _free_port()
    log = tmp_path_factory.mktemp("chroma") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "run", "--path", str(log.parent / "db"), "--host", "127.0.0.1"]
            + ["--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"chroma run did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
    settings = Settings(chroma_host="127.0.0.1", chroma_port=_free_port())
    with pytest.raises(IndexUnavailable, match=r"Cannot reach the Chroma server|failed"):
        open_index(settings, principles, encoder)
