"""Test wiring: no network but loopback, every path under tmp_path, no key leaks in."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["ANONYMIZED_TELEMETRY"] = "False"

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(sock: socket.socket, address: object) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else address
    if host not in LOOPBACK:
        raise RuntimeError(f"Tests must not reach the network (tried {address!r}).")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data dir; no setting leaks in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("COACH_") or name in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "coach-data"))
    monkeypatch.chdir(tmp_path)  # a stray .env in the repo must not configure tests


@pytest.fixture(scope="session")
def encoder():  # type: ignore[no-untyped-def]
    from coach.embeddings import MiniLMEncoder

    return MiniLMEncoder()


@pytest.fixture(scope="session")
def principles():  # type: ignore[no-untyped-def]
    from coach.principles import load_principles
    from coach.settings import DATA_DIR

    return load_principles(DATA_DIR / "principles.yaml")


@pytest.fixture(scope="session")
def retrieval_stack(tmp_path_factory: pytest.TempPathFactory, principles, encoder):  # type: ignore[no-untyped-def]
    """One embedded index for the whole session: building it takes a few seconds."""
    from coach.retrieval import ChromaChunkSearch, PrincipleRetriever
    from coach.settings import Settings
    from coach.vectorstore import open_index

    settings = Settings(data_dir=tmp_path_factory.mktemp("index"))
    status = open_index(settings, principles, encoder)
    retriever = PrincipleRetriever(
        ChromaChunkSearch(status.collection), principles, settings.relevance_threshold
    )
    return retriever
