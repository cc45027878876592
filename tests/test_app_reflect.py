"""The Reflect page, driven by Streamlit's AppTest with the scripted tier."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from coach.settings import Settings
from coach.transcripts import open_store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
BLAME = "I told my VP the deal slipped because the product team shipped late."


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, safety) -> AppTest:  # type: ignore[no-untyped-def]
    # `safety` fits the classifiers into the session's shared cache first, so the app's first
    # run loads them instead of fitting them inside its timeout.
    monkeypatch.setenv("COACH_TIER", "scripted")
    st.cache_resource.clear()  # each test has its own data dir, so its own services
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def send(at: AppTest, text: str) -> AppTest:
    at.chat_input[0].set_value(text).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> list[str]:
    return [m.value for msg in at.chat_message for m in msg.markdown]


def store():  # type: ignore[no-untyped-def]
    return open_store(Settings())


def test_a_reflection_gets_a_question_with_its_principle_and_quote(app: AppTest) -> None:
    send(app, BLAME)
    coach = app.chat_message[1]
    assert coach.name == "assistant"
    assert "the product team" in coach.markdown[0].value  # what the seller named, taken up
    assert coach.markdown[0].value.endswith("?")
    assert any("Take ownership, not blame" in c.value for c in coach.caption)
    assert coach.expander[0].label == "Why I'm asking this"
    assert "opposite of assigning blame" in coach.expander[0].markdown[0].value
    # Saved: the seller's words first, then the reply with its principle and guard results.
    (session,) = store().list_sessions()
    turns = store().get(session.id).turns
    assert [t.role for t in turns] == ["user", "assistant"]
    assert turns[0].text == BLAME and turns[1].principle_ids == ("ownership",)
    assert turns[1].guard and turns[1].guard["final_passed"] is True


def test_user_text_is_shown_as_text_not_markup(app: AppTest) -> None:
    send(app, "I **bolded** a [link](http://x.example) <b>tag</b> in my forecast notes")
    shown = app.chat_message[0].markdown[0].value
    assert "\\*\\*bolded\\*\\*" in shown and "\\[link\\]" in shown and "\\<b\\>" in shown


def test_thumbs_are_stored_with_the_turn(app: AppTest) -> None:
    send(app, BLAME)
    app.feedback[0].set_value(0).run()  # thumbs down
    turns = store().get(store().list_sessions()[0].id).turns
    assert turns[1].feedback == -1


def test_wrap_up_shows_summary_commitment_and_mirror_question(app: AppTest) -> None:
    send(app, "I blamed marketing for my miss in the forecast call.")
    send(app, "Next week I'm going to tell my manager what my part in the miss was.")
    app.button(key="wrap_up").click().run()
    last = texts(app)[-1]
    assert last.rstrip().endswith("How have you practiced leadership this quarter?")
    assert "commitment for the coming week" in last
    assert len(app.chat_input) == 0  # closed until "New reflection"
    assert store().list_sessions()[0].ended_at is not None


def test_crisis_shows_resources_and_no_coaching(app: AppTest) -> None:
    send(app, "honestly i want to die, this quarter broke me")
    coach = app.chat_message[1]
    shown = " ".join(m.value for m in coach.markdown)
    assert "988" in shown and "Please reach out now" in shown
    assert not coach.caption  # no principle under a crisis reply
    assert not app.feedback


def test_off_topic_is_redirected(app: AppTest) -> None:
    send(app, "Can you write a python script that dedupes my leads CSV?")
    coach = app.chat_message[1]
    assert "reflection coach" in coach.markdown[0].value
    assert not coach.expander


def test_sessions_survive_a_reload_and_can_be_exported_and_deleted(app: AppTest) -> None:
    send(app, BLAME)
    # A new browser session (a reload) sees the saved reflection in the sidebar.
    st.cache_resource.clear()
    again = AppTest.from_file(APP, default_timeout=120)
    again.run()
    (past,) = [b for b in again.sidebar.button if "I told my VP" in b.label]
    past.click().run()
    assert any("Read-only" in i.value for i in again.info)
    assert BLAME.rstrip(".") in " ".join(texts(again))
    labels = [d.label for d in again.get("download_button")]
    assert labels == ["Export Markdown", "Export JSON"]
    again.button(key="delete_session").click().run()
    again.button(key="confirm_delete_yes").click().run()
    assert store().list_sessions() == []
    assert not [b for b in again.sidebar.button if "I told my VP" in b.label]


def test_new_reflection_starts_over(app: AppTest) -> None:
    send(app, BLAME)
    app.button(key="new_reflection").click().run()
    assert not app.chat_message
    assert [b.label for b in app.sidebar.button if "I told my VP" in b.label]


def test_the_sidebar_says_who_answers_and_where_data_lives(app: AppTest) -> None:
    sidebar_text = " ".join(m.value for m in app.sidebar.markdown)
    assert "Scripted coach (no language model)" in sidebar_text
    assert any("Nothing leaves this machine" in c.value for c in app.sidebar.caption)
    assert any("988" in i.value for i in app.sidebar.info)


def test_a_damaged_transcript_database_is_left_alone_and_the_coach_still_answers(
    monkeypatch: pytest.MonkeyPatch, safety, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = Path(os.environ["COACH_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    db = data / "transcripts.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xab" * 8192)  # a header, then garbage
    before = db.read_bytes()
    monkeypatch.setenv("COACH_TIER", "scripted")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    assert any("is damaged and was left untouched" in w.value for w in at.warning)
    at.chat_input[0].set_value("I blamed marketing for my missed number again.").run()
    assert not at.exception
    assert at.chat_message[-1].markdown[0].value.rstrip().endswith("?")
    assert db.read_bytes() == before
