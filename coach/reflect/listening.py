"""Reflective listening for the scripted coach: reflect the seller's meaning in the coach's own
words, then ask the question that follows from what they just said (data/listening.yaml).

The coach used to quote a piece of the message and ask the top principle's next curated
question whatever the move; on sessions nobody here tuned on the question took up the seller's
substance in 4 turns of 185 and 8 replies in 10 repeated six or more of their words.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from coach.datafiles import DataFileError, build_from_data_file
from coach.text import normalize_question
from coach.understanding import Move, Reading

_MOVES = [m.value for m in Move]
# Late in a session these turn toward a next step: the principle's commit-stage question.
_TOWARD_A_STEP = frozenset({Move.STORY, Move.OWN_PART, Move.INSIGHT, Move.WIN, Move.BLAME})
# Moves that, naming nothing of their own, go on about what the seller named just before.
_GO_ON = frozenset({Move.COMMITMENT, Move.QUESTION, Move.FEELING, Move.OWN_PART})
# Moves whose reflection says what the seller did or saw ("That is a real win", "You are naming
# your own part"). Read with less confidence than this, the coach reflects what happened and
# asks the principle's question instead: on the dev sessions' turns, 36% of the reader's moves
# under 0.5 were right and 79% above it, and a congratulation on a lost renewal is worse than
# a plain reflection.
_ASSERTIVE = frozenset({Move.WIN, Move.BLAME, Move.OWN_PART, Move.INSIGHT})
TENTATIVE = 0.5


class ListeningFileError(DataFileError):
    """data/listening.yaml is missing or malformed."""


class _ListeningFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reflections: dict[str, list[str]]
    questions: dict[str, list[str]]
    story_bridge: str
    wrap_up_feelings: str = Field(min_length=1)


@dataclass(frozen=True)
class Listened:
    reflection: str
    question: str | None  # None: the caller asks the principle's curated question
    move: Move  # the move the reply answers

    def reply(self, curated: str | None = None) -> str:
        return f"{self.reflection} {self.question or curated or ''}".strip()


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


# Placeholders that name what the seller talked about: someone ({who}), something ({what}),
# or whichever came first ({thing}).
_NAMING = frozenset({"thing", "who", "what"})


def _fill(
    templates: Sequence[str], values: dict[str, str | None], start: int, avoid: Collection[str] = ()
) -> str | None:
    """The first template in rotation from `start` whose placeholders all have values and
    which is not in `avoid` (normalised). Templates that name what the seller talked about
    come first: a plain one only when none of those fits."""
    n = len(templates)
    order = [templates[(start + i) % n] for i in range(n)]
    # The best-ranked thing the seller named decides: a person is asked about with {who}, a
    # thing with {what}; the other kind only when no template of that kind fits.
    first = "who" if values.get("thing") and values.get("thing") == values.get("who") else "what"
    named = sorted(
        (t for t in order if _fields(t) & _NAMING),
        key=lambda t: 0 if _fields(t) & {first, "thing"} else 1,
    )
    for t in named + [t for t in order if t not in named]:
        head = normalize_question(t.split("{", 1)[0])
        if "{" in t and len(head.split()) >= 3 and any(a.startswith(head) for a in avoid):
            continue  # the same question about another thing is still the same question
        if all(values.get(f) for f in _fields(t)):
            text = t.format(**{k: v for k, v in values.items() if v})
            if normalize_question(text) not in avoid:
                return text
    return None


class ListeningScript:
    def __init__(self, spec: _ListeningFile) -> None:
        missing = [m for m in [*_MOVES, "setback"] if m not in spec.reflections]
        missing += [f"questions.{m}" for m in _MOVES if m != "story" and m not in spec.questions]
        if missing:
            raise ValueError(f"no templates for {', '.join(missing)}")
        self.spec = spec

    @classmethod
    def load(cls, path: Path) -> ListeningScript:
        return build_from_data_file(path, _ListeningFile, "Listening file", cls, ListeningFileError)

    def respond(
        self,
        reading: Reading,
        *,
        turn: int,
        asked: Collection[str],
        previous: Reading | None = None,
        lens: str | None = None,
        asked_before: bool = False,
        commit_stage: bool = False,
    ) -> Listened:
        """The reflection and, unless the principle's own question fits better (a story), the
        question for this message."""
        move = reading.move
        if move in _ASSERTIVE and reading.confidence < TENTATIVE:
            move = Move.STORY
        about = reading
        if previous is not None and (
            move is Move.VAGUE or (reading.thing is None and move in _GO_ON)
        ):
            about = previous  # a smaller question about the same thing
        values: dict[str, str | None] = {
            "thing": about.thing,
            "who": about.who,
            "what": about.what,
            "feeling": reading.feeling.say if reading.feeling else None,
            "lens": lens,
        }
        if reading.feeling and move not in (Move.WIN, Move.VAGUE):
            kind = "feeling"
        elif reading.setback and move in (Move.STORY, Move.BLAME, Move.PUSHBACK):
            kind = "setback"  # a loss is met as one, whatever else the message does
        else:
            kind = move.value
        reflection = _fill(self.spec.reflections[kind], values, turn) or ""
        if move is Move.STORY or (commit_stage and move in _TOWARD_A_STEP):
            return Listened(reflection, None, move)
        key = "question_again" if move is Move.QUESTION and asked_before and lens else move.value
        # None when every template has been asked: the caller falls back to its own
        # questions rather than repeat one.
        return Listened(reflection, _fill(self.spec.questions[key], values, turn, asked), move)

    def bridge(self, curated: str, thing: str | None) -> str:
        """A principle's curated question opened with what the seller named."""
        if not thing:
            return curated
        lowered = curated[:1].lower() + curated[1:]
        return self.spec.story_bridge.format(thing=thing, question=lowered)

    def feelings_line(self, says: Sequence[str]) -> str | None:
        if not says:
            return None
        joined = says[0] if len(says) == 1 else ", ".join(says[:-1]) + " and " + says[-1]
        return self.spec.wrap_up_feelings.format(feelings=joined)
