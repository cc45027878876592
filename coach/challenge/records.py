"""A drafted challenge kept in the transcript store, as reflections are (mode "challenge"), so a
manager can find it again: the situation (and the revision asked for) as the manager's turn, the
draft as the reply, with its principles, its checks and how long it took."""

from __future__ import annotations

from coach.behavior import Behavior
from coach.challenge.results import DraftResult
from coach.transcripts import TranscriptStore
from coach.turns import Turn

MODE = "challenge"


def record_draft(
    store: TranscriptStore, result: DraftResult, revision: str | None = None
) -> str | None:
    """The stored session's id, or None for a draft that answers no request (nothing to keep).
    A store that cannot be written raises `StoreError`."""
    if result.request is None:
        return None
    sid = store.start_session(MODE, result.tier.value, result.model)
    ask = result.request.situation + (f"\n\nRevision: {revision}" if revision else "")
    store.add_turn(sid, Turn("user", ask))
    store.add_turn(
        sid,
        Turn(
            "assistant",
            result.draft,
            result.principle_ids,
            Behavior.DRAFT,
            guard=result.report.as_dict(),
            latency_ms=result.latency_ms,
            notice=result.notice,
        ),
    )
    store.end_session(sid)
    return sid
