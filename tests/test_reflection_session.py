"""The session service: one reflection from first words to end, as the page, `coach chat` and
the evals run it; on the scripted tier, a fake model, a real SQLite store and one that refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from coach.behavior import Behavior
from coach.limits import InputTooLong, Limits
from coach.reflect.results import EmptyMessage, TurnResult
from coach.reflect.session import ReflectionSession, result_of
from coach.transcripts import SqlTranscriptStore, StoreError
from coach.transcripts.unavailable import UnavailableStore
from coach.turns import Turn
from tests.fakes.stores import RefusingStore

BLAME = "I told my VP the deal slipped because the product team shipped late."
CRISIS = "honestly i want to die, this quarter broke me"
MIRROR = "How have you practiced leadership this quarter?"


@pytest.fixture
def store(tmp_path: Path) -> SqlTranscriptStore:
    return SqlTranscriptStore(f"sqlite:///{tmp_path / 't.db'}")


@pytest.fixture
def coach(make_coach):  # type: ignore[no-untyped-def]
    return make_coach()


def test_a_turn_is_kept_as_the_engine_reads_it_and_recorded(coach, store) -> None:  # type: ignore[no-untyped-def]
    session = ReflectionSession(coach, store)
    result = session.respond(BLAME)
    assert session.messages == (
        Turn("user", BLAME),
        Turn("assistant", result.reply, result.principle_ids, result.behavior.value),
    )
    turns = store.get(session.session_id).turns
    assert [t.role for t in turns] == ["user", "assistant"]
    assert [session.turn_id(0), session.turn_id(1)] == [t.id for t in turns]
    assert turns[0].text == BLAME and turns[1].principle_ids == ("ownership",)
    assert turns[1].guard and turns[1].guard["final_passed"] is True
    assert session.unsaved is None and not session.unanswered


def test_a_conversation_gets_the_same_answers_as_the_engine_given_the_transcript(coach) -> None:  # type: ignore[no-untyped-def]
    # The evals play their sessions through the service: it must not change what they score.
    texts = (BLAME, "honestly I never briefed them", "next week I'll brief them first")
    transcript: list[Turn] = []
    expected = []
    for text in texts:  # by hand, as the evals once did
        transcript.append(Turn("user", text))
        r = coach.respond(transcript)
        expected.append(r)
        transcript.append(Turn("assistant", r.reply, r.principle_ids, r.behavior.value))
    session = ReflectionSession(coach)
    got = [session.respond(t) for t in texts]
    assert [r.reply for r in got] == [r.reply for r in expected]
    assert [r.principle_ids for r in got] == [r.principle_ids for r in expected]
    assert list(session.messages) == transcript


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_an_empty_message_is_refused_and_nothing_is_kept(coach, store, text: str) -> None:  # type: ignore[no-untyped-def]
    session = ReflectionSession(coach, store)
    with pytest.raises(EmptyMessage, match="Write a few words about your week first"):
        session.say(text)
    assert session.messages == () and store.list_sessions() == []


def test_a_message_over_the_limit_is_refused_before_it_is_saved(make_coach, store) -> None:  # type: ignore[no-untyped-def]
    session = ReflectionSession(make_coach(limits=Limits(message_chars=500)), store)
    with pytest.raises(InputTooLong, match="reads up to 500"):
        session.say("I lost the deal. " * 40)
    assert session.messages == () and store.list_sessions() == []


def test_a_model_answer_streams_then_the_result_is_recorded_before_it_arrives(  # type: ignore[no-untyped-def]
    make_coach, store
) -> None:
    good = (
        "You told your VP the product team shipped late. Looking at the whole deal, which "
        "part of how it slipped was yours?\nPRINCIPLE: ownership"
    )
    model = GenericFakeChatModel(messages=iter([AIMessage(content=good)]))
    session = ReflectionSession(make_coach(model), store)
    assert session.streams
    session.say(BLAME)
    events = []
    for event in session.answer():
        if isinstance(event, TurnResult):  # already in the store when it is handed over
            assert [t.role for t in store.get(session.session_id).turns][-1] == "assistant"
        events.append(event)
    *text, result = events
    assert text and all(isinstance(e, str) for e in text)
    assert isinstance(result, TurnResult) and result.reply.startswith("You told your VP")
    assert session.messages[-1].text == result.reply


def test_care_replies_carry_the_crisis_resources_and_are_not_rated(coach, store) -> None:  # type: ignore[no-untyped-def]
    session = ReflectionSession(coach, store)
    session.respond(BLAME)
    result = session.respond(CRISIS)
    assert result.behavior is Behavior.CRISIS
    resources = coach.parts.safety.rules.resources
    assert any("988" in r for r in resources)
    assert [session.resources(n) for n in range(4)] == [(), (), (), resources]
    assert [session.rateable(n) for n in range(4)] == [False, True, False, False]


def test_a_rating_is_kept_and_stored_as_plus_or_minus_one(coach, store) -> None:  # type: ignore[no-untyped-def]
    session = ReflectionSession(coach, store)
    session.respond(BLAME)
    assert session.helpful(1) is None
    for helpful, stored in ((False, -1), (True, 1), (None, None)):
        session.rate(1, helpful)
        assert session.helpful(1) is helpful
        assert store.get(session.session_id).turns[1].feedback == stored
    with pytest.raises(ValueError, match="cannot be rated"):
        session.rate(0, True)  # the seller's own message


def test_a_refused_rating_is_kept_on_screen_and_said(coach, store) -> None:  # type: ignore[no-untyped-def]
    refusing = RefusingStore(store)
    session = ReflectionSession(coach, refusing)
    session.respond(BLAME)
    refusing.refuse.add("set_feedback")
    with pytest.raises(StoreError, match="The disk is full"):
        session.rate(1, True)
    assert session.helpful(1) is True


def test_a_reloaded_session_answers_the_message_left_unanswered_once(coach, store) -> None:  # type: ignore[no-untyped-def]
    first = ReflectionSession(coach, store)
    first.respond(BLAME)
    first.say("honestly I never briefed them")  # the page was reloaded before the answer
    again = ReflectionSession.resume(coach, store, first.session_id)
    assert again is not None
    assert again.messages == first.messages and again.awaiting_answer and again.unanswered
    assert [again.turn_id(n) for n in range(3)] == [first.turn_id(n) for n in range(3)]
    result = result_of(again.answer())
    assert not again.awaiting_answer and not again.unanswered
    assert store.get(first.session_id).turns[-1].text == result.reply


def test_a_reloaded_session_keeps_notices_and_ratings(coach, store) -> None:  # type: ignore[no-untyped-def]
    first = ReflectionSession(coach, store)
    first.respond(BLAME)
    first.rate(1, False)
    again = ReflectionSession.resume(coach, store, first.session_id)
    assert again is not None and not again.awaiting_answer
    assert again.helpful(1) is False and again.rateable(1)
    assert again.notice(1) == first.notice(1)


def test_only_an_open_reflection_is_resumed(coach, store) -> None:  # type: ignore[no-untyped-def]
    done = ReflectionSession(coach, store)
    done.respond(BLAME)
    done.wrap_up()
    done.end()
    other = store.start_session("challenge", "scripted", "m")
    assert ReflectionSession.resume(coach, store, done.session_id) is None
    assert ReflectionSession.resume(coach, store, other) is None
    assert ReflectionSession.resume(coach, store, "no-such-session") is None
    assert ReflectionSession.resume(coach, UnavailableStore("Broken."), "x") is None


def test_a_past_reflection_reads_back_without_being_changed(coach, store) -> None:  # type: ignore[no-untyped-def]
    done = ReflectionSession(coach, store)
    done.respond(BLAME)
    done.wrap_up()
    done.end()
    past = ReflectionSession.of(coach, store.get(done.session_id))
    assert past.messages == done.messages and past.ended
    assert not past.can_wrap_up and not past.awaiting_answer
    assert not any(past.rateable(n) for n in range(len(past.messages)))


def test_wrap_up_is_recorded_and_the_session_ends_once(coach, store) -> None:  # type: ignore[no-untyped-def]
    refusing = RefusingStore(store)
    session = ReflectionSession(coach, refusing)
    assert not session.can_wrap_up  # nothing said yet
    session.respond("I blamed marketing for my miss in the forecast call.")
    result = session.wrap_up()
    assert result.behavior is Behavior.WRAP_UP and result.reply.rstrip().endswith(MIRROR)
    assert session.messages[-1].behavior == Behavior.WRAP_UP.value
    assert store.get(session.session_id).session.ended_at is None  # until `end`
    session.end()
    session.end()
    assert refusing.calls.count("end_session") == 1 and session.ended
    assert store.get(session.session_id).session.ended_at is not None
    assert not session.can_wrap_up


def test_a_damaged_store_still_gets_an_answer_and_says_it_is_not_saving(coach) -> None:  # type: ignore[no-untyped-def]
    # As the page had it: the seller's turn says why, the coach's that nothing is saved.
    session = ReflectionSession(coach, UnavailableStore("The database is damaged."))
    session.say(BLAME)
    assert session.unsaved == "The database is damaged." and session.session_id is None
    result = result_of(session.answer())
    assert result.reply.endswith("?")
    assert session.unsaved == "This reflection is not being saved."
    assert session.turn_id(0) is None and session.turn_id(1) is None
    assert not session.rateable(1)
    session.end()  # nothing to end: no error


def test_a_session_the_store_started_but_could_not_add_to_is_left_alone(coach, store) -> None:  # type: ignore[no-untyped-def]
    refusing = RefusingStore(store)
    refusing.refuse.add("add_turn")
    session = ReflectionSession(coach, refusing)
    session.say(BLAME)
    assert session.unsaved == "The disk is full." and session.session_id is None
    refusing.refuse.clear()
    result_of(session.answer())
    assert session.unsaved == "This reflection is not being saved."
    session.respond("honestly I never briefed them")  # the next message starts one afresh
    assert session.unsaved is None
    assert [t.role for t in store.get(session.session_id).turns] == ["user", "assistant"]


def test_stop_saving_records_nothing_more(coach, store) -> None:  # type: ignore[no-untyped-def]
    session = ReflectionSession(coach, store)
    session.respond(BLAME)
    session.stop_saving()
    session.respond("honestly I never briefed them")
    session.end()
    assert session.unsaved is None and session.turn_id(2) is None
    assert len(store.get(session.session_id).turns) == 2
    assert store.get(session.session_id).session.ended_at is None


def test_without_a_store_nothing_is_saved_and_nothing_is_said_about_it(coach) -> None:  # type: ignore[no-untyped-def]
    session = ReflectionSession(coach)
    session.respond(BLAME)
    session.wrap_up()
    session.end()
    assert session.session_id is None and session.unsaved is None
    assert len(session.messages) == 3 and not session.rateable(1)


def test_a_message_the_coach_refuses_can_be_withdrawn(make_coach, store) -> None:  # type: ignore[no-untyped-def]
    session = ReflectionSession(make_coach(limits=Limits(session_turns=2)), store)
    session.respond("I lost a deal.")
    session.respond("I priced too late.")
    session.say("Earlier pricing.")
    with pytest.raises(InputTooLong, match="wrap it up and start a new one"):
        result_of(session.answer())
    assert session.unanswered and len(session.messages) == 5
    session.withdraw()
    assert not session.unanswered and len(session.messages) == 4
    assert len(store.get(session.session_id).turns) == 5  # the store keeps what it saved
    session.withdraw()  # nothing unanswered: nothing taken back
    assert len(session.messages) == 4
