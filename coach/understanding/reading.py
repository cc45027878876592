"""What one seller message says, as the coach reads it: a typed `Reading`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class Move(StrEnum):
    """What kind of move a message makes in the conversation."""

    STORY = "story"  # what happened
    BLAME = "blame"  # someone else's fault
    OWN_PART = "own_part"  # their own action or omission
    FEELING = "feeling"
    INSIGHT = "insight"  # something they see about themselves
    COMMITMENT = "commitment"  # an intention or a next step
    VAGUE = "vague"  # a short or vague answer
    PUSHBACK = "pushback"  # reluctance about the reflection itself
    QUESTION = "question"  # a question to the coach
    WIN = "win"


# Moves that continue the thread the coach opened: the principle stays where it was.
CONTINUING: frozenset[Move] = frozenset({Move.INSIGHT, Move.COMMITMENT, Move.VAGUE, Move.OWN_PART})

Horizon = Literal["today", "past_week", "next_days", "quarters", "none"]
HORIZONS: tuple[Horizon, ...] = ("today", "past_week", "next_days", "quarters", "none")


@dataclass(frozen=True)
class Feeling:
    label: str  # one of data/understanding.yaml's feelings
    words: str  # the seller's words that carry it
    say: str  # how the coach names it back ("worn out")


@dataclass(frozen=True)
class Reading:
    text: str
    move: Move
    confidence: float  # the move classifier's probability for `move`
    feelings: tuple[Feeling, ...] = ()
    actors: tuple[str, ...] = ()  # "self", named people, teams and roles, as written
    commitment: str | None = None  # the seller's whole clause
    horizon: Horizon = "none"
    # Things worth naming back, best first, already in the coach's voice ("your SE").
    substance: tuple[str, ...] = field(default=())
    people: tuple[str, ...] = field(default=())  # the substance that is someone ("Priya")
    setback: bool = False  # tells a loss: never met with congratulations
    # The plan the lexicon's words found ("I'll...", "thank her publicly"), whatever the move:
    # a commitment by words outranks one only the classifier saw.
    clause: str | None = None

    @property
    def feeling(self) -> Feeling | None:
        return self.feelings[0] if self.feelings else None

    @property
    def thing(self) -> str | None:
        return self.substance[0] if self.substance else None

    @property
    def who(self) -> str | None:
        """The first person named, asked about *with*: "What did you do with Priya?"."""
        return self.people[0] if self.people else None

    @property
    def what(self) -> str | None:
        """The first thing named that is not a person, asked *about*: "the Carver deal"."""
        return next((s for s in self.substance if s not in self.people), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "move": self.move.value,
            "confidence": round(self.confidence, 3),
            "feelings": [{"label": f.label, "words": f.words} for f in self.feelings],
            "actors": list(self.actors),
            "commitment": self.commitment,
            "horizon": self.horizon,
            "substance": list(self.substance),
            "people": list(self.people),
            "setback": self.setback,
        }
