"""One turn of a conversation, in one shape everywhere: what the coach reads, what the store
keeps and gives back, what an export holds and what an eval case plays.

A light module (the standard library only), so any package may import it: the store without
the dialogue, the evals without the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Turn:
    """Who said what and, for a coach's turn, the principles it rests on and how it answered
    (`Turn("user", "I lost the deal.")`). The rest is what the store keeps with a turn; it is
    empty on a turn that has not been stored."""

    role: Role
    text: str
    principle_ids: tuple[str, ...] = ()
    # A Behavior (a str) or, read back, a name this version does not know (`Recorded`); str to
    # pydantic, so an export's bad behaviour is "not a valid string", as it has always been.
    behavior: str | None = None
    id: str = ""  # the store's id for it
    seq: int = 0  # its place in the session, from 1
    created_at: str = ""
    guard: dict[str, Any] | None = None  # what the guards said of a coach's turn
    latency_ms: int | None = None
    notice: str | None = None  # what the coach said about how it answered
    feedback: int | None = None  # 1 helpful, -1 not helpful

    def said(self) -> Turn:
        """The turn as the conversation has it (who, what, on which principles, how), without
        what the store keeps with it."""
        return Turn(self.role, self.text, self.principle_ids, self.behavior)
