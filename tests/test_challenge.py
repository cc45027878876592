"""Managers' challenge messages: composed, checked, revised, and written by a model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from coach.challenge.drafting import ChallengeEngine
from coach.challenge.request import ChallengeInputError, ChallengeRequest
from coach.challenge.script import ChallengeScript
from coach.llm.tiers import ChatModelChoice, Tier
from coach.settings import DATA_DIR, Settings

# A situation the composer's templates were never written around.
UNSEEN = (
    "Our channel team in Benelux keeps losing partner-sourced deals at the legal stage, two of "
    "the four reps are new, and the veterans hoard their partner contacts. Renewal rate fell to "
    "81% this half."
)
MIRROR = "Tell me how you've practiced leadership this quarter?"


def engine(coach, model=None) -> ChallengeEngine:  # type: ignore[no-untyped-def]
    parts = coach.parts
    if model is not None:
        parts = replace(parts, chat=ChatModelChoice(Tier.OPENAI, "fake-model", model, remote=False))
    return ChallengeEngine(parts, ChallengeScript.load(DATA_DIR / "challenge.yaml"))


@pytest.fixture
def scripted(make_coach) -> ChallengeEngine:  # type: ignore[no-untyped-def]
    return engine(make_coach())


def test_a_composed_draft_for_an_unseen_situation_passes_every_check(scripted) -> None:
    result = scripted.draft(
        ChallengeRequest(
            UNSEEN,
            "slack",
            "warm",
            120,
            commitment="open my own partner list to the team on Monday",
        )
    )
    assert result.report.passed, [f for f in result.report.findings if not f.passed]
    assert result.draft.rstrip().endswith(MIRROR)
    assert "I'll go first: open my own partner list to the team on Monday." in result.draft
    assert "81%" in result.draft  # the manager's own facts are used...
    assert "hoard" not in result.draft  # ...but not their judgement of people
    assert 2 <= len(result.principle_ids) <= 3
    assert 40 <= result.report.words <= 180
    assert result.tier == "scripted" and result.model_passed is None


def test_the_draft_does_not_repeat_the_managers_blame(scripted) -> None:
    result = scripted.draft(
        ChallengeRequest(
            "Team missed Q3 by 20%. Lots of finger-pointing at marketing about lead quality "
            "and morale is low. Want to post a Slack note before Monday's kickoff.",
            commitment="Share my own Q3 retro first",
        )
    )
    assert "marketing" not in result.draft.lower()
    assert "slack note" not in result.draft.lower()
    assert "we missed Q3 by 20%" in result.draft
    assert all(f.passed for f in result.report.findings)


def test_email_has_subject_greeting_and_the_right_length(scripted) -> None:
    result = scripted.draft(ChallengeRequest(UNSEEN, "email", "direct", 200))
    assert result.draft.startswith("Subject: ")
    assert "\n\nHi team,\n\n" in result.draft
    assert result.report.passed
    assert 90 <= result.report.words <= 350


def test_revisions_shorter_warmer_direct_and_email(scripted) -> None:
    first = scripted.draft(ChallengeRequest(UNSEEN, "slack", "warm", 160))
    shorter = scripted.revise(first, "shorter")
    assert shorter.report.words < first.report.words
    direct = scripted.revise(first, "more direct")
    assert direct.request is not None and direct.request.tone == "direct"
    assert direct.draft != first.draft
    email = scripted.revise(first, "make it an email")
    assert email.draft.startswith("Subject: ")
    free = scripted.revise(first, "mention the offsite")
    assert free.notice and "connect a model" in free.notice


def test_a_blaming_manager_draft_is_flagged_with_its_sentence(scripted) -> None:
    draft = (
        "Team, Q3 was a miss and honestly marketing let us down with the leads. Some of you also "
        "need to step up. Everyone needs to prospect more next quarter, no excuses."
    )
    report = scripted.check_draft(draft, "slack")
    findings = {f.name: f for f in report.findings}
    assert not findings["no_blame"].passed
    assert "marketing let us down" in findings["no_blame"].sentence
    assert not findings["author_goes_first"].passed
    assert not findings["ends_with_question"].passed
    assert not findings["length"].passed  # 31 words is short for Slack


def test_a_good_manager_draft_passes_and_lists_principles_with_sentences(scripted) -> None:
    draft = (
        "Team, we missed Q3 by 20% and I know the last weeks were hard on all of us. I'll go "
        "first: I'm sharing my own retro on Friday, including where my forecasting was wrong. "
        "This quarter I'm asking each of you to own your part of the result, out loud, instead of "
        "pointing at anyone else, and to spend an hour a week on pipeline for the quarters after "
        "this one. Tell me how you've practiced leadership this quarter?"
    )
    report = scripted.check_draft(draft, "slack")
    assert report.passed, [f for f in report.findings if not f.passed]
    touched = {m.id: m.sentence for m in report.touched}
    assert "ownership" in touched
    assert all(sentence and sentence in draft for sentence in touched.values())
    assert set(report.missed) == set(scripted.parts.principles.ids) - set(touched)


def test_a_yes_no_closing_question_is_not_enough(scripted) -> None:
    report = scripted.check_draft("Team, I'll go first on this. Will you join me?" * 3, "slack")
    assert not {f.name: f for f in report.findings}["ends_with_question"].passed


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ChallengeRequest("   "), "Describe your team's situation"),
        (ChallengeRequest("x", words=5), "between 40 and 180"),
        (ChallengeRequest("x", channel="fax"), "slack or email"),  # type: ignore[arg-type]
    ],
)
def test_bad_requests_are_one_sentence(scripted, request_, message: str) -> None:
    with pytest.raises(ChallengeInputError, match=message):
        scripted.draft(request_)


GOOD_LLM = (
    "Team, we missed Q3 by 20% and morale is low; no one person or team owns that. The answer "
    "isn't more process, it's leadership from every one of us: own your part of the result out "
    "loud, and help the person next to you do the same. I'll go first: I'm sharing my own Q3 "
    "retro on Friday, mistakes included. Tell me how you've practiced leadership this quarter?\n"
    "PRINCIPLES: leadership-from-everyone"
)


def test_an_llm_draft_that_passes_is_used(make_coach) -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage(content=GOOD_LLM)]))
    result = engine(make_coach(), model).draft(
        ChallengeRequest("Team missed Q3 by 20% and morale is low.", commitment="share my retro")
    )
    assert result.model_passed is True and not result.fallback
    assert result.draft.startswith("Team, we missed Q3") and "PRINCIPLES" not in result.draft
    assert result.principle_ids == ("leadership-from-everyone",)


def test_an_llm_draft_that_blames_falls_back_to_the_composed_one(make_coach) -> None:
    bad = "Marketing let us down this quarter. Work harder.\nPRINCIPLES: ownership"
    model = GenericFakeChatModel(messages=iter([AIMessage(content=bad), AIMessage(content=bad)]))
    result = engine(make_coach(), model).draft(
        ChallengeRequest("Team missed Q3 by 20% and morale is low.")
    )
    assert result.model_passed is False and result.fallback
    assert result.notice and "composed draft" in result.notice
    assert result.report.passed and result.draft.rstrip().endswith(MIRROR)


def _cli(*args: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env_extra},
        timeout=120,
    )


def test_challenge_cli_json(tmp_path: Path, _vector_cache: Path) -> None:
    env = {
        "COACH_DATA_DIR": str(tmp_path),
        "COACH_CACHE_DIR": str(_vector_cache),
        "COACH_TIER": "scripted",
    }
    out = _cli(
        "challenge",
        UNSEEN,
        "--channel",
        "email",
        "--words",
        "200",
        "--tone",
        "direct",
        "--commitment",
        "open my partner list first",
        "--json",
        env_extra=env,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {"draft", "principle_ids", "checks"}
    assert data["checks"]["passed"] is True and data["draft"].startswith("Subject:")
    bad = _cli("challenge", "x", "--words", "3", env_extra=env)
    assert bad.returncode == 2 and "between 40 and 180" in bad.stderr


def test_check_draft_cli(tmp_path: Path, _vector_cache: Path) -> None:
    env = {"COACH_DATA_DIR": str(tmp_path), "COACH_CACHE_DIR": str(_vector_cache)}
    draft = tmp_path / "draft.txt"
    draft.write_text("Team, marketing let us down. Work harder next quarter.", encoding="utf-8")
    out = _cli("check-draft", str(draft), "--json", env_extra=env)
    data = json.loads(out.stdout)
    assert data["passed"] is False
    assert any(f["name"] == "no_blame" and not f["passed"] for f in data["findings"])
    missing = _cli("check-draft", str(tmp_path / "nope.txt"), env_extra=env)
    assert missing.returncode == 2 and "No draft at" in missing.stderr


def test_a_draft_is_kept_like_a_reflection(scripted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from coach.challenge import record_draft
    from coach.transcripts import open_store

    store = open_store(Settings(data_dir=tmp_path))
    result = scripted.draft(ChallengeRequest(UNSEEN, "email", "direct", 200))
    sid = record_draft(store, result, revision="shorter")
    assert sid is not None
    kept = store.get(sid)
    assert kept.session.mode == "challenge" and kept.session.ended_at is not None
    manager, draft = kept.turns
    assert manager.text.endswith("Revision: shorter") and manager.text.startswith(UNSEEN[:40])
    assert draft.text == result.draft and draft.behavior == "draft_message"
    assert list(draft.principle_ids) == list(result.principle_ids)
