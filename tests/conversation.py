"""Playing a conversation through a coach, as the app does: each reply is kept with how it
was answered, so the next turn reads the session the way it would in the app."""

from __future__ import annotations

from coach.reflect.dialogue import Coach, Message, TurnResult


def converse(coach: Coach, *texts: str) -> tuple[list[TurnResult], list[Message]]:
    """The results, one per seller message, and the transcript."""
    messages: list[Message] = []
    results = []
    for text in texts:
        messages.append(Message("user", text))
        result = coach.respond(messages)
        results.append(result)
        messages.append(
            Message("assistant", result.reply, result.principle_ids, result.behavior.value)
        )
    return results, messages
