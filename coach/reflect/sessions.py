"""One reflection as it is written, recorded the same way by the app and by `coach chat`.

The seller's words are saved before the coach is asked anything, so a model that fails or a
process that dies never loses them; the coach's turn is saved with what its guards said
(`TurnResult.turn`).
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.transcripts import StoreError, TranscriptStore
from coach.turns import Turn


@dataclass
class ReflectionLog:
    """Records one reflection in the store; the session starts with the seller's first words."""

    store: TranscriptStore
    tier: str
    model: str
    session_id: str | None = None
    mode: str = "reflect"

    def add(self, turn: Turn) -> str:
        """Save a turn; its id. The seller's message starts the session if need be; the coach's
        turn is saved only in a session that started."""
        if self.session_id is None:
            if turn.role != "user":
                # The seller's message could not be stored: neither can this answer.
                raise StoreError("This reflection is not being saved.")
            self.session_id = self.store.start_session(self.mode, self.tier, self.model)
        return self.store.add_turn(self.session_id, turn)

    def end(self) -> None:
        if self.session_id is not None:
            self.store.end_session(self.session_id)
