"""What a review gives back, typed: each turn's reading and flags (`TurnReview`, `Flag`), the
session's numbers (`Scorecard`, with the blame-to-ownership shift), the next questions to ask
(`Suggestion`), and the whole (`Review`), which `coach review --json` prints as it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Flag:
    name: str
    evidence: str  # the words that raised it


@dataclass(frozen=True)
class TurnReview:
    seq: int
    role: str
    text: str
    principles: list[str] = field(default_factory=list)
    near: list[str] = field(default_factory=list)  # seller: the top three, however weak
    flags: list[Flag] = field(default_factory=list)
    # seller
    blame: int = 0
    ownership: int = 0
    horizon: str | None = None  # short | long | mixed | None
    # coach
    questions: int = 0
    open_questions: int = 0
    socratic: bool | None = None  # one open, non-leading question, no advice
    relevant: bool | None = None  # cites a principle the seller's last message touched


@dataclass(frozen=True)
class BlameShift:
    """The seller's ownership minus blame language, turn by turn, and where it went."""

    trend: float | None  # second half against first; None under two seller turns
    direction: str | None  # toward ownership | toward blame | steady | no blame language
    per_seller_turn: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_seller_turn": list(self.per_seller_turn)}


@dataclass(frozen=True)
class Scorecard:
    """The session's numbers, every one decided by the checks."""

    principle_fidelity: float | None  # coach questions on what the seller raised
    socratic_quality: float | None  # coach turns with one open, non-leading question, no advice
    blame_to_ownership: BlameShift
    coach_turns: int  # the coaching turns rated (care and redirects are not)
    questions_per_coach_turn: float | None
    telling: int  # principles the coach named before the seller raised them
    crisis: bool  # the seller used crisis language
    coached_through_crisis: tuple[int, ...]  # the coach turns (seq) that coached through it
    explored: tuple[str, ...]
    never_explored: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The scorecard as `coach review --json` prints it."""
        return {
            **asdict(self),
            "blame_to_ownership": self.blame_to_ownership.as_dict(),
            "coached_through_crisis": list(self.coached_through_crisis),
            "explored": list(self.explored),
            "never_explored": list(self.never_explored),
        }


@dataclass(frozen=True)
class Suggestion:
    """A next question: the curated one for a principle the session never explored."""

    principle_id: str
    title: str
    question: str


@dataclass(frozen=True)
class ReviewedSession:
    """Which session was reviewed, as far as the transcript says."""

    id: str
    title: str | None
    started_at: str
    tier: str
    turns: int


@dataclass(frozen=True)
class Review:
    turns: list[TurnReview]
    scorecard: Scorecard
    suggestions: list[Suggestion]
    session: ReviewedSession
    narrative: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "session": asdict(self.session),
            "turns": [{**asdict(t), "flags": [asdict(f) for f in t.flags]} for t in self.turns],
            "scorecard": self.scorecard.as_dict(),
            "suggestions": [asdict(q) for q in self.suggestions],
            "narrative": self.narrative,
        }
