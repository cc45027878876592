"""Playing a conversation through a coach, as the app does: through a `ReflectionSession`,
so each reply is kept with how it was answered and the next turn reads the session the way it
would in the app."""

from __future__ import annotations

from coach.reflect.dialogue import Coach
from coach.reflect.results import TurnResult
from coach.reflect.session import ReflectionSession
from coach.turns import Turn


def converse(coach: Coach, *texts: str) -> tuple[list[TurnResult], list[Turn]]:
    """The results, one per seller message, and the transcript."""
    session = ReflectionSession(coach)
    results = [session.respond(text) for text in texts]
    return results, list(session.messages)
