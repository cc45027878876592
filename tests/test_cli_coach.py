"""`coach reply` and `coach chat`, run as a user runs them: fresh processes, stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=180,
    )


@pytest.fixture(scope="module")
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return cli_env


def turns(*texts: str) -> str:
    roles = ["user", "assistant"]
    return json.dumps(
        {"turns": [{"role": roles[i % 2], "content": t} for i, t in enumerate(texts)]}
    )


def test_reply_json_answers_the_last_user_turn(env: dict[str, str]) -> None:
    out = run("reply", "--json", stdin=turns("marketing gave me garbage leads again"), env=env)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["behavior"] == "socratic_question"
    assert result["tier"] == "scripted"
    assert result["reply"].endswith("?")
    assert result["focus_principle"] in result["principle_ids"]
    assert result["guard"]["final_passed"] is True


def test_reply_follows_a_conversation(env: dict[str, str]) -> None:
    first = json.loads(run("reply", "--json", stdin=turns("I blamed the SE."), env=env).stdout)
    out = run(
        "reply",
        "--json",
        stdin=turns("I blamed the SE.", first["reply"], "honestly I never briefed him"),
        env=env,
    )
    second = json.loads(out.stdout)
    assert second["reply"] != first["reply"]


def test_reply_crisis_prints_resources(env: dict[str, str]) -> None:
    out = run("reply", stdin=turns("i want to die"), env=env)
    assert out.returncode == 0
    assert "988" in out.stdout


def test_reply_wrap_up(env: dict[str, str]) -> None:
    out = run("reply", "--wrap-up", stdin=turns("I blamed marketing for my miss."), env=env)
    assert out.stdout.strip().endswith("How have you practiced leadership this quarter?")


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "stdin is not valid JSON (line 1"),
        ('{"turns": []}', 'needs a non-empty "turns" list'),
        ('{"turns": [{"role": "bot", "content": "x"}]}', "turn 1 must be"),
        (turns("hi", "What happened?"), "The last turn must be from the user"),
        (turns("   "), "Your message is empty"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    env: dict[str, str], stdin: str, message: str
) -> None:
    out = run("reply", "--json", stdin=stdin, env=env)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert out.stdout == ""


def test_chat_session_in_the_terminal(env: dict[str, str]) -> None:
    script = "I took credit for my SE's work in the forecast call.\nidk\n/done\n"
    out = run("chat", stdin=script, env=env)
    assert out.returncode == 0, out.stderr
    assert "Scripted coach (no language model)" in out.stdout.splitlines()[0]
    assert out.stdout.count("coach> ") == 3
    assert "How have you practiced leadership this quarter?" in out.stdout


def test_chat_ctrl_d_wraps_up(env: dict[str, str]) -> None:
    out = run("chat", stdin="I skipped the team meeting again.\n", env=env)  # EOF = Ctrl-D
    assert out.returncode == 0
    assert out.stdout.rstrip().endswith("How have you practiced leadership this quarter?")


def test_chat_ends_when_the_input_ends_after_crisis_support(env: dict[str, str]) -> None:
    # Ctrl-D after a crisis reply: its wrap-up is care again, and the chat used to ask for
    # more input forever.
    out = run("chat", stdin="everyone would be better off if I wasn't around\n", env=env)
    assert out.returncode == 0, out.stderr
    assert "988" in out.stdout and out.stdout.count("coach> ") == 2


def test_unknown_tier_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    out = run("reply", stdin=turns("x"), env={**env, "COACH_TIER": "gpt9"})
    assert out.returncode == 2 and "Unknown tier 'gpt9'" in out.stderr
