"""The Challenge and Review pages, driven by AppTest with the scripted tier."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from coach.settings import Settings
from coach.transcripts import open_store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "evals" / "review_samples"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, safety) -> AppTest:  # type: ignore[no-untyped-def]
    # `safety` fits the classifiers into the session's shared cache first, so the app's first
    # run loads them instead of fitting them inside its timeout.
    monkeypatch.setenv("COACH_TIER", "scripted")
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    return at


def test_challenge_page_drafts_shows_principles_and_revises(app: AppTest) -> None:
    app.switch_page("views/pages/challenge.py").run()
    app.text_area(key="challenge_situation").set_value(
        "We missed Q3 by 20%. Lots of finger-pointing at marketing and morale is low."
    )
    app.text_input(key="challenge_q_go-first").set_value("share my own Q3 retro first")
    app.button(key="challenge_draft").click().run()
    assert not app.exception, app.exception
    draft = app.code[0].value
    assert draft.rstrip().endswith("Tell me how you've practiced leadership this quarter?")
    assert "I'll go first: share my own Q3 retro first." in draft
    grounded = " ".join(m.value for m in app.markdown)
    assert "Grounded in" in grounded
    assert all(
        ":material/check_circle:" in m.value for m in app.markdown if "**no blame**" in m.value
    )
    app.button(key="rev_shorter").click().run()
    assert len(app.code[0].value.split()) < len(draft.split())
    saved = open_store(Settings()).list_sessions(mode="challenge")
    assert len(saved) == 2  # the draft and its revision


def test_challenge_page_check_my_draft_flags_blame(app: AppTest) -> None:
    app.switch_page("views/pages/challenge.py").run()
    app.text_area(key="check_text").set_value(
        "Team, marketing let us down. Work harder next quarter."
    )
    app.button(key="check_run").click().run()
    shown = " ".join(m.value for m in app.markdown)
    assert ":material/error: **no blame**" in shown and "marketing let us down" in shown
    assert "Principles it misses" in shown


def test_challenge_page_empty_situation_is_one_sentence(app: AppTest) -> None:
    app.switch_page("views/pages/challenge.py").run()
    app.button(key="challenge_draft").click().run()
    assert not app.exception
    assert "Describe your team's situation" in app.warning[0].value


def test_review_page_pasted_transcript(app: AppTest) -> None:
    app.switch_page("views/pages/review.py").run()
    app.radio(key="review_source").set_value("Paste text").run()
    app.text_area(key="review_paste").set_value((SAMPLES / "lecturing_coach.txt").read_text())
    app.button(key="review_paste_run").click().run()
    assert not app.exception, app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Socratic quality"] == "0%"
    labels = [e.label for e in app.expander]
    assert any(label.startswith("2. Coach:") for label in labels)
    assert app.get("download_button")[0].label == "Export review (Markdown)"


def test_review_page_bad_paste_is_one_sentence(app: AppTest) -> None:
    app.switch_page("views/pages/review.py").run()
    app.radio(key="review_source").set_value("Paste text").run()
    app.text_area(key="review_paste").set_value("no speakers here")
    app.button(key="review_paste_run").click().run()
    assert not app.exception
    assert "has no turns" in app.error[0].value


def test_review_page_saved_sessions_and_a_seller_over_time(app: AppTest) -> None:
    # Two reflections on the Reflect page, then a review of them.
    for text in ("I blamed marketing for my miss.", "My pipeline for next quarter is empty."):
        app.chat_input[0].set_value(text).run()
        app.button(key="new_reflection").click().run()
    app.switch_page("views/pages/review.py").run()
    assert not app.exception, app.exception
    assert {m.label for m in app.metric} >= {"Principle fidelity", "Socratic quality"}
    chart_tab_markdown = " ".join(m.value for m in app.markdown)
    assert "Keeps avoiding" in chart_tab_markdown
