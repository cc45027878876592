"""The openai tier over real HTTP, against a scripted OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from coach.behavior import Behavior
from coach.llm.tiers import build_chat_model
from coach.settings import Settings
from coach.turns import Turn
from tests.fakes.openai_server import FakeOpenAI

BLAME = [Turn("user", "I told my VP the deal slipped because the product team shipped late.")]
GOOD = (
    "You told your VP the product team shipped late. Looking at the whole deal, which part "
    "of how it slipped was yours?\nPRINCIPLE: ownership"
)
BAD = "You should apologise to the product team. Will you?\nPRINCIPLE: ownership"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as s:
        yield s


def coach_for(make_coach, server: FakeOpenAI, timeout: float = 5.0, retries: int = 0):  # type: ignore[no-untyped-def]
    settings = Settings(
        tier="openai",
        openai_base_url=server.base_url,
        openai_api_key=SecretStr("sk-test-secret-key"),
        openai_model="fake-model",
        openai_timeout_s=timeout,
        openai_max_retries=0,
    )
    choice = build_chat_model(settings)
    return make_coach(choice.model, timeout_s=timeout, retries=retries)


def test_a_streamed_reply_over_http_is_guarded_and_used(make_coach, server: FakeOpenAI) -> None:
    server.behaviours.append(("reply", GOOD))
    events = list(coach_for(make_coach, server).stream(BLAME))
    result = events[-1]
    # It streamed over HTTP, and reached the seller sentence by sentence, each one checked.
    assert next(e for e in events if isinstance(e, str)).startswith("You told your VP")
    assert sum(isinstance(e, str) for e in events) >= 2
    assert result.reply.startswith("You told your VP") and result.guard.model_passed is True
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["body"]["stream"] is True
    assert request["body"]["model"] == "fake-model"
    assert request["headers"]["authorization"] == "Bearer sk-test-secret-key"
    assert request["body"]["messages"][0]["role"] == "system"


def test_a_failed_reply_is_retried_without_streaming(make_coach, server: FakeOpenAI) -> None:
    server.behaviours.extend([("reply", BAD), ("reply", GOOD)])
    result = coach_for(make_coach, server).respond(BLAME)
    assert result.guard.model_passed is False and result.guard.retried
    assert not result.guard.fallback and result.reply.startswith("You told your VP")
    assert server.requests[1]["body"].get("stream") in (None, False)
    assert "broke these rules" in server.requests[1]["body"]["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("behaviour", "notice"),
    [
        (("status", 500), "returned an error"),
        (("status", 429), "rate-limiting"),
        (("sleep", 3.0), "timed out"),
        (("drop", GOOD), "could not answer"),
        (("garbage", None), "could not answer"),
    ],
)
def test_server_faults_fall_back_to_the_scripted_question(
    make_coach, server: FakeOpenAI, behaviour, notice: str
) -> None:
    server.behaviours.append(behaviour)
    result = coach_for(make_coach, server, timeout=1.0).respond(BLAME)
    assert result.behavior is Behavior.SOCRATIC
    assert result.guard.fallback and result.guard.final_passed
    assert result.notice and notice in result.notice
    assert result.reply.endswith("?")
    assert "sk-test-secret-key" not in result.reply + (result.notice or "")


def test_a_hung_server_costs_the_timeout_and_no_more(make_coach, server: FakeOpenAI) -> None:
    # The SDK used to try again after a timeout: a 30 s timeout kept the seller 60 s.
    server.behaviours.extend([("sleep", 6.0), ("sleep", 6.0)])
    started = time.perf_counter()
    result = coach_for(make_coach, server, timeout=1.5, retries=1).respond(BLAME)
    waited = time.perf_counter() - started
    assert result.guard.fallback and "timed out" in (result.notice or "")
    assert waited < 1.5 + 1.0, f"waited {waited:.1f} s"
    assert len(server.requests) == 1


def test_a_long_retry_after_is_not_waited_out(make_coach, server: FakeOpenAI) -> None:
    server.behaviours.extend([("status", (429, 50)), ("reply", GOOD)])
    started = time.perf_counter()
    result = coach_for(make_coach, server, timeout=10.0, retries=1).respond(BLAME)
    waited = time.perf_counter() - started
    assert waited < 5.0, f"waited {waited:.1f} s for Retry-After: 50"
    assert not result.guard.fallback and result.reply.startswith("You told your VP")
    assert len(server.requests) == 2


def test_a_rate_limit_with_no_time_left_falls_back_at_once(make_coach, server: FakeOpenAI) -> None:
    server.behaviours.extend([("status", (429, 50)), ("reply", GOOD)])
    result = coach_for(make_coach, server, timeout=2.0, retries=1).respond(BLAME)
    assert result.guard.fallback and "rate-limiting" in (result.notice or "")
    assert len(server.requests) == 1  # 2 s capped wait + a reply does not fit in 2 s


def test_an_unreachable_server_falls_back(make_coach) -> None:
    settings = Settings(
        tier="openai",
        openai_base_url="http://127.0.0.1:9/v1",
        openai_max_retries=0,
        openai_timeout_s=2,
    )
    result = make_coach(build_chat_model(settings).model, timeout_s=2).respond(BLAME)
    assert result.guard.fallback
    assert "could not be reached" in (result.notice or "")


OBEYING = [
    json.loads(line)
    for line in (Path(__file__).parent / "fixtures" / "obeying_replies.jsonl")
    .read_text()
    .splitlines()
]


@pytest.mark.parametrize("row", OBEYING, ids=lambda r: r["id"])
def test_a_reply_that_obeys_an_injection_never_passes(make_coach, server: FakeOpenAI, row) -> None:  # type: ignore[no-untyped-def]
    """A model that obeys while keeping the form (one question, a PRINCIPLE line) is caught:
    its reply is not shown, not streamed, and not printed in the result."""
    server.behaviours.extend([("reply", row["reply"]), ("reply", row["reply"])])
    events = list(coach_for(make_coach, server).stream(BLAME))
    result = events[-1]
    assert result.guard.model_passed is False and result.guard.fallback
    streamed = "".join(e for e in events if isinstance(e, str))
    first_line = row["reply"].splitlines()[0]
    assert first_line not in streamed and first_line not in json.dumps(result.as_dict())


def test_a_rambling_model_is_cut_off_and_its_retry_stays_small(
    make_coach, server: FakeOpenAI
) -> None:
    """A server that ignores the token cap: the coach stops reading, and the retry does not
    send pages of history back (llama.cpp answered that with HTTP 400)."""
    server.behaviours.extend([("reply", "You blamed the product team. " * 300), ("reply", GOOD)])
    result = coach_for(make_coach, server).respond(BLAME)
    assert result.guard.model_passed is False and result.guard.retried
    assert result.reply.startswith("You told your VP")
    sent = server.requests[1]["body"]["messages"]
    assert max(len(m["content"]) for m in sent if m["role"] == "assistant") <= 1200


def test_the_judge_asks_an_openai_compatible_server(server: FakeOpenAI, make_coach) -> None:  # type: ignore[no-untyped-def]
    """`coach eval --judge`'s model over real HTTP: three votes, each one request."""
    from coach.evaluation.judge import build_judge

    answer = json.dumps({"verdict": "pass", "evidence": "opposite of assigning blame"})
    server.behaviours.extend([("reply", answer)] * 3)
    parts = make_coach().parts
    settings = Settings(judge_base_url=server.base_url, judge_model="judge-model")
    judge = build_judge(settings, parts.prompts, parts.principles)
    assert judge is not None
    verdict = judge.on_principle("I blamed marketing", "Which part was yours?", "ownership")
    assert verdict.verdict == "pass" and verdict.votes == ("pass", "pass", "pass")
    assert [r["body"]["model"] for r in server.requests] == ["judge-model"] * 3
    assert server.requests[0]["body"]["temperature"] == 0
