"""Records and the store interface. A stored turn is a `coach.turns.Turn`, with its id, place
and time filled in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from coach.errors import CoachError, ServiceError
from coach.turns import Turn


class StoreError(ServiceError, RuntimeError):
    """The transcript store cannot be opened or written; the message says what to do."""


class SessionNotFound(CoachError, KeyError):
    """No session with that id."""

    def __str__(self) -> str:
        return f"No session {self.args[0]!r}: `coach transcripts list` shows the ids."


@dataclass(frozen=True)
class SessionRecord:
    id: str
    mode: str
    started_at: str
    tier: str
    model: str
    title: str | None = None
    ended_at: str | None = None
    turn_count: int = 0

    @property
    def started_label(self) -> str:
        """When it started, to the minute, as every list of sessions shows it: "2026-11-20 09:00"
        (the stored time, UTC, as it is written)."""
        return self.started_at[:16].replace("T", " ")

    @property
    def started_minute(self) -> datetime:
        """The minute it started, for charts; naive, like the time shown."""
        return datetime.fromisoformat(self.started_at[:16])


@dataclass(frozen=True)
class Transcript:
    session: SessionRecord
    turns: tuple[Turn, ...] = field(default_factory=tuple)


class TranscriptStore(Protocol):
    """What the app, the CLI and the review engine need from a store."""

    def start_session(self, mode: str, tier: str, model: str) -> str: ...

    def add_turn(self, session_id: str, turn: Turn) -> str: ...

    def set_feedback(self, turn_id: str, feedback: int | None) -> None: ...

    def end_session(self, session_id: str) -> None: ...

    def list_sessions(self, limit: int = 50, mode: str | None = None) -> list[SessionRecord]: ...

    def get(self, session_id: str) -> Transcript: ...

    def delete_session(self, session_id: str) -> bool: ...

    def import_transcript(self, transcript: Transcript) -> str: ...
