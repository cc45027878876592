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


@pytest.fixture(scope="session")
def _vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Derived vectors are keyed by their inputs, so one cache can serve every test (and the CLI
    # subprocesses, through the environment): each data file is embedded once per session.
    return tmp_path_factory.mktemp("vector-cache")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _vector_cache: Path) -> None:
    """Every test gets its own data dir; no setting leaks in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("COACH_") or name in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "coach-data"))
    monkeypatch.setenv("COACH_CACHE_DIR", str(_vector_cache))
    monkeypatch.chdir(tmp_path)  # a stray .env in the repo must not configure tests


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, _vector_cache: Path) -> dict[str, str]:
    """An ingested data dir for CLI subprocesses: the scripted tier, the session's vectors."""
    import subprocess
    import sys

    e = {
        "COACH_DATA_DIR": str(tmp_path_factory.mktemp("cli")),
        "COACH_TIER": "scripted",
        "COACH_CACHE_DIR": str(_vector_cache),
    }
    subprocess.run(
        [sys.executable, "-m", "coach.cli", "ingest"],
        env={**os.environ, **e},
        capture_output=True,
        check=True,
        timeout=900,
    )
    return e


@pytest.fixture(scope="session")
def encoder():  # type: ignore[no-untyped-def]
    from coach.retrieval.embeddings import MiniLMEncoder

    return MiniLMEncoder()


@pytest.fixture(scope="session")
def principles():  # type: ignore[no-untyped-def]
    from coach.principles import load_principles
    from coach.settings import DATA_DIR

    return load_principles(DATA_DIR / "principles.yaml")


@pytest.fixture(scope="session")
def shared_settings(tmp_path_factory: pytest.TempPathFactory, _vector_cache: Path):  # type: ignore[no-untyped-def]
    from coach.settings import Settings

    return Settings(data_dir=tmp_path_factory.mktemp("shared-data"), cache_path=_vector_cache)


@pytest.fixture(scope="session")
def stack(shared_settings):  # type: ignore[no-untyped-def]
    """One embedded index (and snapshot) for the whole session: building it takes seconds."""
    from coach.wiring import build_retrieval

    return build_retrieval(shared_settings)


@pytest.fixture(scope="session")
def retrieval_stack(stack):  # type: ignore[no-untyped-def]
    return stack.retriever


@pytest.fixture(scope="session")
def parts(shared_settings, stack):  # type: ignore[no-untyped-def]
    """The parts every engine shares, built by the same wiring as the app (scripted tier)."""
    from coach.wiring import build_parts

    return build_parts(shared_settings.model_copy(update={"tier": "scripted"}), stack)


@pytest.fixture(scope="session")
def safety(parts):  # type: ignore[no-untyped-def]
    return parts.safety


@pytest.fixture(scope="session")
def make_coach(shared_settings, parts):  # type: ignore[no-untyped-def]
    """Build a Coach around any chat model (None: the scripted tier), sharing the heavy parts,
    with the app's wiring: only the settings a test names differ."""
    from dataclasses import replace

    from coach.limits import Limits
    from coach.llm.tiers import ChatModelChoice, Tier
    from coach.wiring import build_coach

    def build(model=None, *, tier=None, timeout_s=30.0, clock=None, retries=0, limits=None):  # type: ignore[no-untyped-def]
        chat = (
            parts.chat
            if model is None
            else ChatModelChoice(tier or Tier.OPENAI, "fake-model", model, remote=False)
        )
        mine = replace(parts, chat=chat, clock=clock or parts.clock)
        limits = limits or Limits()
        settings = shared_settings.model_copy(
            update={
                "openai_timeout_s": timeout_s,
                "openai_max_retries": retries,
                "max_message_chars": limits.message_chars,
                "max_session_turns": limits.session_turns,
            }
        )
        return build_coach(settings, mine, canary="PC-CANARY42")

    return build
