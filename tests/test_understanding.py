"""The message reader: the move, the feelings and their words, the whole commitment, and the
things worth naming back in the coach's voice."""

from __future__ import annotations

import pytest

from coach.understanding import Move, second_person


@pytest.fixture(scope="module")
def reader(parts):  # type: ignore[no-untyped-def]
    return parts.reader


@pytest.mark.parametrize(
    ("text", "move"),
    [
        ("Next week I'm going to tell my manager what my part in the miss was.", Move.COMMITMENT),
        (
            "gonna grab dev for 20 min monday and walk him through the stage 3 deals",
            Move.COMMITMENT,
        ),
        ("closed acme today!! 3 year deal", Move.WIN),
        ("what should i do?", Move.QUESTION),
        ("idk", Move.VAGUE),
        ("this is kind of pointless, i have 4 deals closing", Move.PUSHBACK),
        ("i never asked who signs. i just assumed the champion could", Move.OWN_PART),
    ],
)
def test_clear_messages_get_their_move(reader, text: str, move: Move) -> None:  # type: ignore[no-untyped-def]
    assert reader.read(text).move is move


def test_a_feeling_is_named_with_the_words_that_carry_it(reader) -> None:  # type: ignore[no-untyped-def]
    r = reader.read("honestly just tired. 14 calls a day, nobody picks up, quota is up 20% again")
    assert r.feeling is not None and r.feeling.label == "exhausted"
    assert "tired" in r.feeling.words
    assert r.feeling.say == "worn out"


def test_no_feeling_is_read_into_a_plain_story(reader) -> None:  # type: ignore[no-untyped-def]
    r = reader.read("Had the Brightline demo Tuesday; procurement joined 20 minutes late.")
    assert r.feelings == ()


def test_a_commitment_is_kept_whole(reader) -> None:  # type: ignore[no-untyped-def]
    text = "Thank her publicly I guess. And tell my manager what she did."
    assert reader.lexicon.commitment_clause(text) == text
    r = reader.read("Next week I'm going to tell my manager what my part in the miss was.")
    assert r.commitment == "Next week I'm going to tell my manager what my part in the miss was."


def test_substance_is_named_in_the_coachs_voice(reader) -> None:  # type: ignore[no-untyped-def]
    r = reader.read("honestly our SE tanked the tech review and Priya from Northwind checked out")
    assert "your SE" in r.substance and "Priya" in r.substance
    assert "the tech review" in r.substance
    assert not any(s.lower() in ("dont", "it", "the it") for s in r.substance)


def test_what_follows_a_but_comes_first(reader) -> None:  # type: ignore[no-untyped-def]
    r = reader.read(
        "I closed the biggest deal of my career, 1.2M ARR. "
        "But I steamrolled our SE in the all-hands."
    )
    assert r.substance[0] == "your SE"


def test_contractions_typed_without_apostrophes_are_not_names(reader) -> None:  # type: ignore[no-untyped-def]
    r = reader.read("i didnt ask and she doesnt know, theyre all waiting on legal")
    assert not {"didnt", "doesnt", "theyre"} & {s.lower() for s in r.substance}


def test_second_person() -> None:
    assert second_person("my manager") == "your manager"
    assert second_person("our SE") == "your SE"
    assert second_person("the CFO") == "the CFO"


def test_a_loss_is_never_read_as_a_win(reader) -> None:  # type: ignore[no-untyped-def]
    r = reader.read("we lost the Halden renewal on friday, they went with the cheaper vendor")
    assert r.setback
    assert r.move is not Move.WIN


def test_a_plan_told_by_its_verb_is_a_commitment_and_a_story_told_so_is_not(reader) -> None:  # type: ignore[no-untyped-def]
    lex = reader.lexicon
    assert lex.opens_with_step("blocking friday mornings for Q4 prospecting")
    assert lex.opens_with_step("thank her publicly I guess")
    assert not lex.opens_with_step("put it in commit last week and it slipped")
    assert not lex.opens_with_step("starting to believe the intro could go somewhere")


def test_a_question_left_with_the_coach_is_a_question(reader) -> None:  # type: ignore[no-untyped-def]
    r = reader.read("i pushed the SE hard on the demo. is that on me though?")
    assert r.move in (Move.QUESTION, Move.PUSHBACK)


def test_people_are_told_from_things_and_names_keep_their_capitals(reader) -> None:  # type: ignore[no-untyped-def]
    r = reader.read("priya from korvo foods went quiet after the pricing call")
    assert "Priya" in r.substance
    assert r.who == "Priya"
    assert r.what is not None and r.what != "Priya"
    assert any("Korvo Foods" in s for s in r.substance)
    assert not reader.lexicon.is_person("the pricing call")


def test_an_abbreviation_is_not_a_name_of_its_own(reader) -> None:  # type: ignore[no-untyped-def]
    assert "St" not in reader.read("St. Anne's did their first 4 cases with us").substance
    assert reader.read("met Dr. Mensah on tuesday").who == "Dr. Mensah"
