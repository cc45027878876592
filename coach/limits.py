"""How much one person can send at once, checked at every entry (app, CLI, engines).

Long but legal input is read in bounded work (retrieval reads at most
`retrieval.MAX_QUERY_SENTENCES` sentences, the triage `SafetyTriage.max_sentences`); these
limits keep the rest bounded too, and over one the person gets one sentence that says what to do.
Nothing they wrote is thrown away: the app's box and the CLI's file still hold it. (Review's
own limit on a transcript, `max_bytes`, is in data/review.yaml.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.errors import CoachError

_SURROGATE = re.compile("[\ud800-\udfff]")


class InputTooLong(CoachError, ValueError):
    """A message, situation or transcript is longer than the coach reads at once."""


@dataclass(frozen=True)
class Limits:
    message_chars: int = 20_000  # a long page of notes; about 3,500 words
    session_turns: int = 200  # seller messages in one reflection

    def message(self, text: str, what: str = "Your message") -> str:
        """The text, readable, or `InputTooLong` with what to do."""
        if len(text) > self.message_chars:
            raise InputTooLong(
                f"{what} is {len(text):,} characters and the coach reads up to "
                f"{self.message_chars:,} at a time: send the part that matters most first."
            )
        return readable(text)

    def turns(self, seller_turns: int) -> None:
        if seller_turns > self.session_turns:
            raise InputTooLong(
                f"This reflection has reached {self.session_turns} messages, the most one "
                "session holds: wrap it up and start a new one (everything so far is saved)."
            )


def readable(text: str) -> str:
    """The text with lone surrogates (from JSON such as "\\ud800", never typed by a person)
    replaced by U+FFFD, so it can be stored, printed and encoded like any other text."""
    return _SURROGATE.sub("\ufffd", text)


def spread(n: int, k: int) -> list[int]:
    """At most k indexes spread evenly over range(n), first and last included: how a long text
    is read in bounded work (retrieval and the safety triage both sample it this way)."""
    if n <= k:
        return list(range(n))
    step = (n - 1) / (k - 1)
    return sorted({round(i * step) for i in range(k)})
