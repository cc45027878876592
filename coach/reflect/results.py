"""What one turn gives back: its result with the guards' word on it (and the `Turn` it is
recorded as), or the refusal of a message that is not there. The turns the coach reads are
`coach.turns.Turn`s.

A light module (no engine, no model), so the session, the recorder and the pages can name a
turn's types without loading the dialogue.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from coach.behavior import Behavior
from coach.errors import CoachError
from coach.llm import Tier
from coach.safety import Verdict
from coach.turns import Turn


class EmptyMessage(CoachError, ValueError):
    """The seller's message is empty."""


@dataclass(frozen=True)
class GuardOutcome:
    """What the guards said. The model's own result is kept apart from the final one, so a
    fallback's success is never reported as the model's."""

    model_passed: bool | None  # None when no model wrote the reply (scripted tier, triage)
    final_passed: bool
    retried: bool = False
    fallback: bool = False
    checks: dict[str, Any] = field(default_factory=dict)  # the reply shown
    model_checks: list[dict[str, Any]] = field(default_factory=list)  # each model attempt


@dataclass(frozen=True)
class TurnResult:
    reply: str
    behavior: Behavior
    principle_ids: tuple[str, ...]
    focus_principle: str | None
    guard: GuardOutcome
    tier: Tier
    model: str
    latency_ms: int
    notice: str | None = None
    resources: tuple[str, ...] = ()
    triage: Verdict = Verdict.OK
    triage_evidence: str = ""
    stage: str | None = None
    evidence: str | None = None  # what the reply takes up from the seller's message
    move: str | None = None  # the move of the seller's message the reply answers
    retrieved: tuple[str, ...] = ()  # what retrieval offered this turn, best first

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)  # enums as plain strings, as the JSON has always had them
        out["behavior"] = self.behavior.value
        out["tier"] = self.tier.value
        out["triage"] = self.triage.value
        out["principle_ids"] = list(self.principle_ids)
        out["resources"] = list(self.resources)
        out["retrieved"] = list(self.retrieved)
        return out

    def turn(self) -> Turn:
        """The coach's turn as it is recorded: the reply, its principles and behaviour, what a
        review needs of its checks, its time and its notice."""
        guard = {
            "model_passed": self.guard.model_passed,
            "final_passed": self.guard.final_passed,
            "retried": self.guard.retried,
            "fallback": self.guard.fallback,
            "checks": self.guard.checks,
            "triage": self.triage,
            "stage": self.stage,
        }
        return Turn(
            "assistant",
            self.reply,
            self.principle_ids,
            self.behavior.value,
            guard=guard,
            latency_ms=self.latency_ms,
            notice=self.notice,
        )
