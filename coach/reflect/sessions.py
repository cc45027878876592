"""One reflection as it is written, recorded the same way by the app and by `coach chat`.

The seller's words are saved before the coach is asked anything, so a model that fails or a
process that dies never loses them; the coach's turn is saved with what its guards said.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coach.reflect.results import TurnResult
from coach.transcripts import StoreError, TranscriptStore


def guard_record(result: TurnResult) -> dict[str, Any]:
    """What a transcript keeps of a turn's checks: enough for a coach's review."""
    return {
        "model_passed": result.guard.model_passed,
        "final_passed": result.guard.final_passed,
        "retried": result.guard.retried,
        "fallback": result.guard.fallback,
        "checks": result.guard.checks,
        "triage": result.triage,
        "stage": result.stage,
    }


@dataclass
class ReflectionLog:
    """Records one reflection in the store; the session starts with the seller's first words."""

    store: TranscriptStore
    tier: str
    model: str
    session_id: str | None = None
    mode: str = "reflect"

    def seller(self, text: str) -> str:
        """Save the seller's message (starting the session if need be); its turn id."""
        if self.session_id is None:
            self.session_id = self.store.start_session(self.mode, self.tier, self.model)
        return self.store.add_turn(self.session_id, "user", text)

    def coach(self, result: TurnResult) -> str:
        """Save the coach's turn; its turn id."""
        if self.session_id is None:
            # The seller's message could not be stored: neither can this answer.
            raise StoreError("This reflection is not being saved.")
        return self.store.add_turn(
            self.session_id,
            "assistant",
            result.reply,
            principle_ids=result.principle_ids,
            behavior=result.behavior.value,
            guard=guard_record(result),
            latency_ms=result.latency_ms,
            notice=result.notice,
        )

    def end(self) -> None:
        if self.session_id is not None:
            self.store.end_session(self.session_id)
