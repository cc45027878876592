"""One seller's reflection from the first words to the end: the session service.

`ReflectionSession` runs a reflection the same way for the Reflect page, `coach chat` and the
evals. It keeps the conversation's `Turn`s (oldest first, each with its stored id, notice and
rating), asks the `Coach` for each answer, records every turn through `ReflectionLog` when it
has a store, and holds the rules that belong to a session rather than to a page: what counts as
a message, which replies carry the crisis resources, which turns can be rated, which message a
reload left unanswered, and what is kept when the store cannot be written.

A turn is never lost to the store: when a write fails the seller is still answered, and
`unsaved` says why that turn is not saved. A write that is a step of its own (`end`, `rate`)
raises `StoreError` instead, since there is nothing left to carry on with.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from coach.behavior import CARE, Behavior
from coach.reflect.dialogue import Coach
from coach.reflect.results import EmptyMessage, TurnResult
from coach.reflect.sessions import ReflectionLog
from coach.transcripts import SessionNotFound, StoreError, Transcript, TranscriptStore
from coach.turns import Turn

MODE = "reflect"  # how a reflection is filed in the store (the other modes are the manager's)


class ReflectionSession:
    """A reflection in progress (or, without a store, one read back): its conversation, the
    id it is stored under, and the steps a seller takes in it.

    `say` keeps (and saves) the seller's message, `answer` streams the coach's reply and
    records it, `respond` does both for callers that do not stream, `wrap_up` closes with the
    summary and `end` files the session as finished. Each turn keeps what the page shows with
    it: the stored turn id, the notice and the seller's rating.
    """

    def __init__(self, coach: Coach, store: TranscriptStore | None = None) -> None:
        self.coach = coach
        self.store = store  # None: nothing is recorded (the evals, or a store that failed)
        self.session_id: str | None = None  # set by the first message the store accepts
        self.unsaved: str | None = None  # why the last turn is not in the store, or None
        # Resumed with the seller's last message never answered (the page was reloaded while
        # the coach was answering): it is answered once, when the session is next drawn.
        self.awaiting_answer = False
        self.ended = False
        self._turns: list[Turn] = []  # as kept: an id once stored, a rating once rated

    # -- opening one ----------------------------------------------------------------------------

    @classmethod
    def of(
        cls, coach: Coach, transcript: Transcript, store: TranscriptStore | None = None
    ) -> ReflectionSession:
        """A recorded reflection as it was left; with a store it goes on being recorded."""
        session = cls(coach, store)
        session.session_id = transcript.session.id
        session.ended = transcript.session.ended_at is not None
        session._turns = list(transcript.turns)
        session.awaiting_answer = not session.ended and session.unanswered
        return session

    @classmethod
    def resume(
        cls, coach: Coach, store: TranscriptStore, session_id: str
    ) -> ReflectionSession | None:
        """The open reflection stored as `session_id`, to go on with; None when it is gone,
        cannot be read, is finished (a past one opens read-only, with `of`) or is not a
        reflection."""
        try:
            transcript = store.get(session_id)
        except (SessionNotFound, StoreError):
            return None
        if transcript.session.ended_at or transcript.session.mode != MODE:
            return None
        return cls.of(coach, transcript, store)

    # -- the seller's steps ---------------------------------------------------------------------

    def say(self, text: str) -> None:
        """Keep the seller's message and save it, before the coach is asked anything: a model
        that fails or a process that dies never loses it. `EmptyMessage` or `InputTooLong`
        (nothing kept) when it is not a message the coach can read."""
        if not text.strip():
            raise EmptyMessage("Write a few words about your week first.")
        self.coach.options.limits.message(text)
        self._keep(Turn("user", text))

    def answer(self) -> Iterator[str | TurnResult]:
        """The coach's answer to the seller's last message: the model's text as it arrives
        (none on the scripted tier), then the result, recorded before it is yielded. The
        guarded result can differ from the streamed text; it is what is kept."""
        self.awaiting_answer = False  # asked once: a failure is not tried again on its own
        for event in self.coach.stream(self.messages):
            if isinstance(event, TurnResult):
                self._keep(event.turn())
            yield event

    def respond(self, text: str) -> TurnResult:
        """`say`, then the whole `answer`."""
        self.say(text)
        return result_of(self.answer())

    def wrap_up(self) -> TurnResult:
        """The summary, the seller's commitment and the mirror question, recorded. The session
        stays open in the store until `end`."""
        result = self.coach.wrap_up(self.messages)
        self._keep(result.turn())
        return result

    def end(self) -> None:
        """File the reflection as finished (once): nothing more is added to it."""
        if self.ended:
            return
        self.ended = True
        if self.store is not None:
            self._log().end()

    def withdraw(self) -> None:
        """Take back the seller's last message when the coach could not answer it: the
        conversation goes on as if it had not been sent (the store keeps what it saved).
        `coach chat` does this, so a message over the session's limit is not read again."""
        if self.unanswered:
            self._turns.pop()

    def stop_saving(self) -> None:
        """Record nothing more (`coach chat` stops at the first failure and says so once)."""
        self.store = None

    # -- what the session says ------------------------------------------------------------------

    @property
    def messages(self) -> tuple[Turn, ...]:
        """The conversation as the engine reads it: who said what, on which principles, how."""
        return tuple(t.said() for t in self._turns)

    @property
    def unanswered(self) -> bool:
        """The last message is the seller's, with no answer yet."""
        return bool(self._turns) and self._turns[-1].role == "user"

    @property
    def can_wrap_up(self) -> bool:
        """Open, and the seller has said something to sum up."""
        return not self.ended and any(t.role == "user" for t in self._turns)

    @property
    def streams(self) -> bool:
        """Whether an answer comes as text before its result (a tier with a model)."""
        return self.coach.parts.chat.model is not None

    def turn_id(self, n: int) -> str | None:
        """The stored id of message n; None when it was not saved."""
        return self._turns[n].id or None

    def notice(self, n: int) -> str | None:
        """What the coach said about how it answered message n (hidden characters removed, a
        fallback, another language), shown under it."""
        return self._turns[n].notice

    def resources(self, n: int) -> tuple[str, ...]:
        """The crisis resources shown with message n: with every reply that offers care."""
        if self._turns[n].behavior in CARE:
            return self.coach.parts.safety.rules.resources
        return ()

    def rateable(self, n: int) -> bool:
        """Whether the seller can rate message n: a saved coach question, in a session that is
        still recorded."""
        t = self._turns[n]
        return (
            self.store is not None
            and self.turn_id(n) is not None
            and t.role == "assistant"
            and t.behavior == Behavior.SOCRATIC.value
        )

    def helpful(self, n: int) -> bool | None:
        """The seller's rating of message n: helpful, not, or None when unrated."""
        return {1: True, -1: False}.get(self._turns[n].feedback or 0)

    def rate(self, n: int, helpful: bool | None) -> None:
        """Rate message n (None takes a rating back). Kept here even when the store refuses it
        (`StoreError`), so the page goes on showing what the seller chose."""
        turn_id = self.turn_id(n)
        if self.store is None or turn_id is None or not self.rateable(n):
            raise ValueError(f"Message {n} cannot be rated.")
        feedback = None if helpful is None else 1 if helpful else -1
        self._turns[n] = replace(self._turns[n], feedback=feedback)
        self.store.set_feedback(turn_id, feedback)

    # -- recording ------------------------------------------------------------------------------

    def _keep(self, turn: Turn) -> None:
        """Save the turn (when there is a store) and keep it, with its id once saved."""
        turn_id = self._save(turn)
        self._turns.append(replace(turn, id=turn_id or ""))

    def _save(self, turn: Turn) -> str | None:
        """Write one turn; its id, or None (and `unsaved` says why) when the store refused.

        The session's id is taken only once the seller's message is in: a session the store
        started but could not add to is not written to again, and the next message tries a
        new one (the coach's answer meanwhile is "not being saved")."""
        if self.store is None:
            self.unsaved = None
            return None
        log = self._log()
        try:
            turn_id = log.add(turn)
        except StoreError as exc:
            self.unsaved = str(exc)
            return None
        self.session_id = log.session_id
        self.unsaved = None
        return turn_id

    def _log(self) -> ReflectionLog:
        assert self.store is not None
        chat = self.coach.parts.chat
        return ReflectionLog(self.store, chat.tier.value, chat.model_name, self.session_id, MODE)


def result_of(events: Iterable[str | TurnResult]) -> TurnResult:
    """The result at the end of an answer's stream, for a caller that shows only that."""
    result: TurnResult | None = None
    for event in events:
        if isinstance(event, TurnResult):
            result = event
    if result is None:
        raise RuntimeError("The coach's answer ended without a result.")
    return result
