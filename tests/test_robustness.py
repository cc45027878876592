"""Nothing a person types, pastes or starts breaks the coach: the cases that once did, kept as
regressions (issue: bounded input, no tracebacks, no races, every conversation kept)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from coach.behavior import Behavior
from coach.incidents import LOG_NAME, record, sentence
from coach.inert import for_markdown, for_terminal
from coach.limits import InputTooLong, Limits, readable
from coach.retrieval.search import MAX_QUERY_SENTENCES, sentences
from coach.settings import SettingsError, load_settings
from coach.turns import Turn

EVALS = Path(__file__).resolve().parent.parent / "evals"

WEEK = [
    "Called Acme about the renewal and they asked for another discount.",
    "My manager wanted the forecast by noon and I guessed at two deals.",
    "I skipped the team standup because the calendar was full.",
    "Priya stayed late to help me rebuild the demo environment.",
    "We lost the Hanley deal on price after six months of work.",
    "I blamed marketing for the lead quality in our pipeline review.",
]


def notes(n: int) -> str:
    """A pasted page of a week's notes: n distinct sentences."""
    return " ".join(f"{WEEK[i % len(WEEK)][:-1]} (note {i})." for i in range(n))


def run(*args: str, stdin: bytes, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **env},
        timeout=180,
    )


# -- long input ------------------------------------------------------------------------------------


def test_a_pasted_page_of_notes_is_answered_and_the_session_goes_on(make_coach) -> None:
    # 46 sentences once passed SQLite's variable limit inside Chroma ("too many SQL variables")
    # and broke every later turn of the session.
    coach = make_coach()
    page = notes(120)
    first = coach.respond([Turn("user", page)])
    assert first.behavior is Behavior.SOCRATIC and first.reply.endswith("?")
    later = coach.respond(
        [
            Turn("user", page),
            Turn("assistant", first.reply, first.principle_ids, first.behavior.value),
            Turn("user", "The discount is what I keep thinking about."),
        ]
    )
    assert later.reply.endswith("?")


def test_a_long_text_is_read_as_a_bounded_number_of_sentences() -> None:
    parts = sentences(notes(500))
    assert len(parts) == MAX_QUERY_SENTENCES
    assert parts[0].endswith("(note 0).") and parts[-1].endswith("(note 499).")
    assert len(sentences(notes(10))) == 10


def test_over_the_limit_is_one_sentence_and_the_coach_does_not_answer(make_coach) -> None:
    coach = make_coach(limits=Limits(message_chars=500))
    with pytest.raises(InputTooLong) as err:
        coach.respond([Turn("user", notes(40))])
    assert "reads up to 500" in str(err.value) and str(err.value).count(".") <= 3


def test_a_session_has_a_turn_limit(make_coach) -> None:
    coach = make_coach(limits=Limits(session_turns=2))
    turns = [
        Turn("user", "I lost a deal."),
        Turn("assistant", "What happened?"),
        Turn("user", "I priced too late."),
        Turn("assistant", "What would you change?"),
        Turn("user", "Earlier pricing."),
    ]
    with pytest.raises(InputTooLong, match="wrap it up and start a new one"):
        coach.respond(turns)


def test_lone_surrogates_become_a_replacement_character() -> None:
    assert readable("ok \ud800 there") == "ok \ufffd there"
    assert readable("plain") == "plain"


# -- settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("COACH_RETRIEVAL_K", "0", "greater than or equal to 1"),
        ("COACH_OPENAI_TIMEOUT_S", "abc", "valid number"),
        ("COACH_MAX_MESSAGE_CHARS", "5", "greater than or equal to 200"),
    ],
)
def test_a_bad_setting_names_the_variable_and_what_it_expects(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(f"{name} is '{value}':") and said in str(err.value)


def test_a_data_dir_that_is_a_file_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    f = tmp_path / "a-file"
    f.write_text("x")
    monkeypatch.setenv("COACH_DATA_DIR", str(f))
    with pytest.raises(SettingsError, match=r"COACH_DATA_DIR .* should be a folder"):
        load_settings()


def test_a_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_JUDGE_API_KEY", "")
    monkeypatch.setenv("COACH_OPENAI_TIMEOUT_S", "-1")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "COACH_OPENAI_TIMEOUT_S" in str(err.value)


# -- the error boundary ----------------------------------------------------------------------------


def test_an_unexpected_error_is_logged_with_a_reference(tmp_path: Path) -> None:
    try:
        raise KeyError("boom in the turn")
    except KeyError as exc:
        ref = record(exc, tmp_path)
    log = (tmp_path / "logs" / LOG_NAME).read_text()
    assert f"ref {ref}" in log and "KeyError" in log and "Traceback" in log
    assert oct((tmp_path / "logs" / LOG_NAME).stat().st_mode & 0o777) == "0o600"
    said = sentence(ref)
    assert ref in said and "Nothing you wrote is lost" in said and "\n" not in said


def test_a_read_only_log_folder_still_gives_a_reference(tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("not a folder")
    try:
        raise RuntimeError("x")
    except RuntimeError as exc:
        assert len(record(exc, tmp_path)) == 6


# -- the CLI, as a user runs it --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "stdin", "said"),
    [
        (("reply",), b"\xff\xfe not utf-8", "stdin is not UTF-8 text (byte 0xff at position 0)"),
        (("reply",), b"[" * 100_000, "nesting too deep"),
        (("reply",), b'{"turns": ' + b"9" * 5000 + b"}", "number too long"),
        (("retrieve", "-"), b"caf\xe9 au lait", "stdin is not UTF-8 text"),
        (("challenge", "-"), b"\xc3\x28", "stdin is not UTF-8 text"),
        (("retrieve", "-"), ("a. " * 15_000).encode(), "reads up to 20,000"),
        (("eval", "--dataset", str(EVALS), "--report-only", "--quiet"), b"", "is a folder"),
        (("eval", "--thresholds", str(EVALS / "blind" / "README.md")), b"", "not valid YAML"),
        (
            ("eval", "--dataset", str(EVALS / "datasets" / "crisis.jsonl"), "--md", "/proc/x/r.md"),
            b"",
            "Cannot write /proc/x/r.md",
        ),
    ],
)
def test_bad_input_to_the_cli_is_one_sentence_and_exit_2(
    cli_env: dict[str, str], args: tuple[str, ...], stdin: bytes, said: str
) -> None:
    p = run(*args, stdin=stdin, env=cli_env)
    err = p.stderr.decode()
    assert p.returncode == 2, err
    assert said in err and "Traceback" not in err and err.count("\n") == 1


def test_a_lone_surrogate_in_json_is_answered(cli_env: dict[str, str]) -> None:
    body = json.dumps(
        {"turns": [{"role": "user", "content": "I lost \ud800 the deal to a rival."}]}
    )
    p = run("reply", stdin=body.encode(), env=cli_env)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.decode().strip().endswith("?")


def test_coach_chat_records_the_session_it_has(cli_env: dict[str, str]) -> None:
    before = run("transcripts", "list", "--json", stdin=b"", env=cli_env)
    count = len(json.loads(before.stdout or b"[]"))
    lines = b"I skipped the standup and blamed the calendar.\nI will go to the next one\n/done\n"
    p = run("chat", stdin=lines, env=cli_env)
    assert p.returncode == 0, p.stderr.decode()
    after = json.loads(run("transcripts", "list", "--json", stdin=b"", env=cli_env).stdout)
    assert len(after) == count + 1
    newest = max(after, key=lambda s: s["started_at"])
    assert newest["turn_count"] == 5 and newest["ended_at"]  # 2 + 2 turns and the wrap-up
    shown = run("transcripts", "export", newest["id"], "--format", "json", stdin=b"", env=cli_env)
    said = [t["text"] for t in json.loads(shown.stdout)["turns"] if t["role"] == "user"]
    assert said == ["I skipped the standup and blamed the calendar.", "I will go to the next one"]


# -- inert text ------------------------------------------------------------------------------------


def test_escape_sequences_never_reach_a_terminal() -> None:
    hostile = "ok\x1b[2J\x1b]0;owned\x07\x1b]8;;http://x\x1b\\link\x07 done\x00\x9b"
    assert for_terminal(hostile) == "oklink done"
    assert for_terminal("line one\n\tline two") == "line one\n\tline two"


def test_markdown_from_a_person_stays_text() -> None:
    md = for_markdown("![x](http://host/p.png) <script>alert(1)</script> # head")
    assert "![" not in md and "](" not in md and "<script>" not in md
    assert md.replace("\\", "") == "![x](http://host/p.png) <script>alert(1)</script> # head"


# -- self-repair -----------------------------------------------------------------------------------


def _snapshot(settings) -> Path:  # type: ignore[no-untyped-def]
    return next(settings.data_dir.glob("index-snapshot-*.npz"))


@pytest.mark.parametrize("damage", ["truncated", "reshaped", "altered"])
def test_a_damaged_snapshot_is_noticed_and_rewritten(shared_settings, stack, damage: str) -> None:  # type: ignore[no-untyped-def]
    from coach.retrieval.snapshot import SnapshotChunkSearch
    from coach.wiring import build_retrieval

    path = _snapshot(shared_settings)
    good = path.read_bytes()
    try:
        if damage == "truncated":
            path.write_bytes(good[: len(good) // 2])
        else:
            with np.load(path) as data:
                arrays = {k: data[k] for k in data.files}
            if damage == "reshaped":
                arrays["vectors"] = arrays["vectors"][:-3]
            else:
                arrays["vectors"] = arrays["vectors"].copy()
                arrays["vectors"][0, 0] += 0.5
            with zipfile.ZipFile(path, "w") as z:
                for k, v in arrays.items():
                    with z.open(f"{k}.npy", "w") as f:
                        np.lib.format.write_array(f, v)
        with pytest.raises(Exception):  # any of BadZipFile, ValueError, EOFError
            SnapshotChunkSearch(path, stack.encoder)
        again = build_retrieval(shared_settings)  # what `coach ingest` runs
        assert "snapshot was missing or damaged and was rewritten" in again.index_message
        SnapshotChunkSearch(path, stack.encoder)  # whole again
        fast = build_retrieval(shared_settings, fast=True)
        assert isinstance(fast.retriever.search, SnapshotChunkSearch)
    finally:
        if not path.is_file() or path.read_bytes() != good:
            build_retrieval(shared_settings)
