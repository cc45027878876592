"""Property-based tests over every entry a person can reach: whatever they type, paste, upload
or configure, the answer is a reply or one sentence (a `CoachError`), within a time bound, and
nothing already stored is lost or changed.

Examples per property are few (the engines are real: encoder, index, classifiers), but
Hypothesis keeps the failures it finds in its database and tries them first next time; the
cases that once broke the coach are also pinned by name in tests/test_robustness.py.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from coach.challenge.request import ChallengeRequest
from coach.cli import main
from coach.errors import CoachError
from coach.reflect.results import TurnResult
from coach.review.transcript import read_transcript
from coach.settings import SettingsError, load_settings
from coach.transcripts import SqlTranscriptStore
from coach.turns import Turn
from coach.wiring import build_challenge, build_reviewer

FEW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BOUND_S = 8.0  # generous for 2 cores; the point is "answers", not "is fast" (see benchmarks/)

# Text as people produce it: any Unicode (surrogates included, as JSON can carry them), with
# the characters that have broken text handling before drawn more often.
TRICKY = st.sampled_from(
    ["\x1b[2J", "\u200b", "\U000e0041", "\ud800", "\n\n", "![x](http://h/p.png)", "<script>", "."]
)
TEXT = st.lists(st.one_of(st.text(max_size=60), TRICKY), max_size=12).map("".join)
PROSE = st.lists(
    st.sampled_from(
        ["I lost the deal.", "my manager blamed me", "Priya helped", "quota!!", "idk", "?", ""]
    ),
    max_size=30,
).map(" ".join)


def within(bound: float, call: Callable[[], Any]) -> Any:
    """Run `call`; a CoachError is an answer too. Fail on anything else or on a slow answer."""
    start = time.perf_counter()
    try:
        result: Any = call()
    except CoachError as exc:
        said = str(exc)
        assert said and "\n" not in said.strip() and "Traceback" not in said
        result = exc
    assert time.perf_counter() - start < bound
    return result


@FEW
@given(history=st.lists(st.one_of(TEXT, PROSE), min_size=1, max_size=4))
def test_the_coach_answers_anything(make_coach, history: list[str]) -> None:  # type: ignore[no-untyped-def]
    coach = make_coach()
    turns: list[Turn] = []
    for n, text in enumerate(history):
        turns.append(Turn("user", text))
        result = within(BOUND_S, lambda: coach.respond(turns))
        if isinstance(result, TurnResult):
            assert result.reply.strip()
            turns.append(Turn("assistant", result.reply, result.principle_ids))
        elif n < len(history) - 1:
            turns.pop()  # an empty message is refused; the seller writes again


@FEW
@given(text=st.one_of(TEXT, PROSE))
def test_triage_and_retrieval_answer_anything(safety, retrieval_stack, text: str) -> None:  # type: ignore[no-untyped-def]
    within(BOUND_S, lambda: safety.triage(text))
    within(BOUND_S, lambda: retrieval_stack.retrieve(text or " "))


@pytest.fixture(scope="module")
def engines(shared_settings, parts):  # type: ignore[no-untyped-def]
    return build_challenge(shared_settings, parts), build_reviewer(shared_settings, parts)


@FEW
@given(
    situation=st.one_of(TEXT, PROSE),
    channel=st.sampled_from(["slack", "email", "fax", ""]),
    tone=st.sampled_from(["warm", "direct", "loud"]),
    words=st.one_of(st.none(), st.integers(-5, 2000)),
    revision=st.one_of(st.none(), TEXT, st.sampled_from(["shorter", "warmer", "mention Priya"])),
)
def test_the_challenge_answers_anything(  # type: ignore[no-untyped-def]
    engines, situation: str, channel: str, tone: str, words: int | None, revision: str | None
) -> None:
    challenge, _ = engines
    request = ChallengeRequest(situation, channel, tone, words)  # type: ignore[arg-type]
    draft = within(BOUND_S, lambda: challenge.draft(request))
    if not isinstance(draft, CoachError) and revision is not None:
        within(BOUND_S, lambda: challenge.revise(draft, revision))
    within(BOUND_S, lambda: challenge.check_draft(situation, "slack"))


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["turns", "role", "content", "schema_version", "session", "text"]),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=20,
)
FILES = st.one_of(
    st.binary(max_size=400),
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    JSONISH.map(lambda j: json.dumps(j).encode()),
    st.lists(st.tuples(st.sampled_from(["Seller: ", "Coach: ", "User: ", "x: ", ""]), PROSE)).map(
        lambda rows: "\n".join(a + b for a, b in rows).encode()
    ),
)


@FEW
@given(data=FILES)
def test_review_reads_any_file(engines, data: bytes) -> None:  # type: ignore[no-untyped-def]
    _, reviewer = engines
    transcript = within(BOUND_S, lambda: read_transcript(data, "the file", 1_000_000))
    if not isinstance(transcript, CoachError):
        within(BOUND_S, lambda: reviewer.review(transcript))


SETTINGS_VALUES = st.one_of(TEXT, st.sampled_from(["0", "-1", "abc", "1e309", "nan", "", "7"]))


@FEW
@given(
    name=st.sampled_from(
        [
            "COACH_RETRIEVAL_K",
            "COACH_OPENAI_TIMEOUT_S",
            "COACH_MAX_MESSAGE_CHARS",
            "COACH_TIER",
            "COACH_TEMPERATURE",
            "COACH_WRAP_UP_AFTER_TURNS",
            "COACH_RELEVANCE_THRESHOLD",
        ]
    ),
    value=SETTINGS_VALUES,
)
def test_any_setting_value_loads_or_is_named(name: str, value: str) -> None:
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        return  # the environment itself cannot hold these
    with pytest.MonkeyPatch.context() as mp:  # one example's setting must not leak to the next
        mp.setenv(name, value)
        try:
            load_settings()
        except SettingsError as exc:
            assert str(exc).startswith(name) and "\n" not in str(exc)


# -- the CLI, in process: argv and stdin as a shell would hand them over ------------------------


def _cli(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: bytes) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse on a bad command line: its usage text, exit 2
        code = int(exc.code or 0)
        assert code in (0, 2)
        return code, ""
    return code, err.getvalue()


COMMANDS = st.sampled_from(
    [
        ["reply"],
        ["reply", "--wrap-up"],
        ["retrieve", "-"],
        ["retrieve", "-", "--json"],
        ["challenge", "-"],
        ["check-draft", "-"],
        ["review", "-"],
        ["transcripts", "export"],
        ["transcripts", "delete", "zz"],
        ["retrieve", "--k", "99", "x"],
        ["chat"],
    ]
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=COMMANDS, stdin=st.one_of(FILES, TEXT.map(lambda t: t.encode("utf-8", "replace"))))
def test_every_subcommand_answers_in_one_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack, argv: list[str], stdin: bytes
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COACH_TIER", "scripted")
    start = time.perf_counter()
    code, err = _cli(monkeypatch, argv, stdin)
    assert time.perf_counter() - start < 30
    assert code in (0, 1, 2)
    if code:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("coach: "), err
        assert "Traceback" not in err


def test_nothing_stored_changes_when_input_is_bad(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A store with a session in it; then the hostile inputs; then the same session, unchanged."""
    settings_ = load_settings()
    settings_.data_dir.mkdir(parents=True, exist_ok=True)
    store = SqlTranscriptStore(f"sqlite:///{settings_.data_dir / 'transcripts.db'}")
    sid = store.start_session("reflect", "scripted", "curated questions")
    store.add_turn(sid, Turn("user", "I blamed marketing again."))
    before = store.get(sid)
    for argv, stdin in (
        (["transcripts", "delete", ""], b""),
        (["transcripts", "export", "\x1b[2J"], b""),
        (["review", "-"], b"\xff\xfe"),
        (["reply"], b'{"turns": [{"role": "user", "content": ""}]}'),
    ):
        code, _ = _cli(monkeypatch, argv, stdin)
        assert code in (0, 1, 2)
    assert store.get(sid) == before
