"""The scripted coach listens: it reflects in its own words, asks about what the seller just
said, meets a feeling first, stays on the thread and carries the commitment whole."""

from __future__ import annotations

from coach.behavior import Behavior
from coach.evaluation.listening import PART, longest_run, takes_up
from coach.text.sentences import questions
from tests.conversation import converse

talk = converse


def test_the_reply_reflects_in_its_own_words_and_asks_about_what_was_said(make_coach) -> None:  # type: ignore[no-untyped-def]
    text = "honestly our SE tanked the tech review. dev showed up with a generic deck"
    (r,), _ = talk(make_coach(), text)
    assert r.behavior is Behavior.SOCRATIC
    assert longest_run(r.reply, text) < 6  # no quote back
    assert takes_up(questions(r.reply)[-1], ["SE", "tech review", "generic deck"])


def test_exhaustion_is_met_before_leadership(make_coach) -> None:  # type: ignore[no-untyped-def]
    (r,), _ = talk(make_coach(), "honestly just tired. 14 calls a day, nobody picks up")
    first = r.reply.split(". ")[0]
    assert "worn out" in first
    assert "lead" not in r.reply.lower()


def test_a_commitment_without_i_will_is_made_concrete_and_carried_whole(make_coach) -> None:  # type: ignore[no-untyped-def]
    coach = make_coach()
    results, messages = talk(
        coach,
        "I took all the credit in the all-hands for a deal our SE saved.",
        "Thank her publicly I guess. And tell my manager what she did.",
    )
    assert results[-1].move == "commitment"
    assert "when" in questions(results[-1].reply)[-1].lower()
    wrap = coach.wrap_up(messages)
    assert "Thank her publicly I guess. And tell my manager what she did." in wrap.reply
    assert "…" not in wrap.reply


def test_an_insight_stays_on_the_thread(make_coach) -> None:  # type: ignore[no-untyped-def]
    results, _ = talk(
        make_coach(),
        "I took all the credit in the all-hands for a deal our SE saved.",
        "i think i do this a lot. i want to be the one who closed it",
    )
    assert results[1].move == "insight"
    assert results[1].focus_principle == results[0].focus_principle


def test_a_question_to_the_coach_is_handed_back_not_turned_away(make_coach) -> None:  # type: ignore[no-untyped-def]
    results, _ = talk(
        make_coach(),
        "one call this week where a buyer talked to me for 20 minutes about his warehouse",
        "what should i do to get more of those?",
        "no really, what should i do?",
    )
    assert [r.behavior for r in results] == [Behavior.SOCRATIC] * 3
    assert results[1].move == "question"
    assert any(w in results[1].reply for w in ("instinct", "tried"))
    assert "lens" in results[2].reply  # asked again: a principle offered as a lens


def test_pushback_on_reflecting_is_rolled_with_not_a_check_in(make_coach) -> None:  # type: ignore[no-untyped-def]
    results, _ = talk(
        make_coach(),
        "lost a deal to a cheaper competitor on friday",
        "i don't see the point of reflecting on this honestly",
    )
    assert results[1].behavior is Behavior.SOCRATIC
    assert results[1].move == "pushback"


def test_short_answers_never_repeat_a_question(make_coach) -> None:  # type: ignore[no-untyped-def]
    results, _ = talk(make_coach(), "meh", "idk", "fine i guess", "not sure", "ok", "nothing")
    asked = [questions(r.reply)[-1] for r in results]
    assert len(set(asked)) == len(asked)


def test_takes_up_and_parroting_measures() -> None:
    assert takes_up("What happened in the tech review?", ["tech review", "dev"])
    assert takes_up("What did the deals teach you?", ["the deal"])  # plural
    assert not takes_up("What does leadership mean to you?", ["tech review"])
    assert (
        longest_run("You wrote: our SE tanked the tech review.", "our SE tanked the tech review")
        == 6
    )
    assert longest_run("What happened?", "nothing happened") == 1


def test_taking_up_part_of_a_long_item_counts_only_as_part() -> None:
    item = ["the payroll integration back in march"]
    question = "What happened with the payroll integration?"
    assert not takes_up(question, item)  # every content word: strict
    assert takes_up(question, item, PART)  # payroll, integration: 2 of 4
    assert not takes_up("What happened?", item, PART)
    # A number alone is not the substance: "6" of "6 months of work" is not half of it.
    assert not takes_up("What would 6 of them look like?", ["6 months"], PART)
    assert takes_up("What did those 6 months teach you?", ["6 months"], PART)


def test_two_commitments_are_both_carried_whole(make_coach) -> None:  # type: ignore[no-untyped-def]
    coach = make_coach()
    _, messages = talk(
        coach,
        "I sat on the Carver pricing for a week and the deal slipped.",
        "I'll call Dana on Monday and walk her through the new quote.",
        "and moving my forecast review to thursdays so nothing sits that long again",
    )
    wrap = coach.wrap_up(messages).reply
    assert "I'll call Dana on Monday and walk her through the new quote." in wrap
    assert "moving my forecast review to thursdays so nothing sits that long again" in wrap
    assert ".”." not in wrap  # the seller's own full stop is not doubled


def test_a_lost_deal_is_met_as_a_loss(make_coach) -> None:  # type: ignore[no-untyped-def]
    (r,), _ = talk(make_coach(), "Lost the Brightline deal today after five months of work.")
    assert r.behavior is Behavior.SOCRATIC
    assert not any(w in r.reply.lower() for w in ("congrat", "real win", "well done"))
