"""How the coach answered a turn: one name for each way, shared by the coach, the records, the
evals and the pages.

A light module (the standard library only), so any package may import it without pulling in the
dialogue. The values are the strings stored in transcripts and printed in JSON.
"""

from __future__ import annotations

from enum import StrEnum


class Behavior(StrEnum):
    SOCRATIC = "socratic_question"
    REDIRECT = "redirect"
    CRISIS = "crisis_support"
    CHECK_IN = "crisis_check_in"
    DRAFT = "draft_message"  # the manager's challenge: a message drafted, not a turn answered
    WRAP_UP = "wrap_up"


# Both answer a person at risk: crisis support, and the check-in that asks plainly about suicide.
CARE = (Behavior.CRISIS, Behavior.CHECK_IN)

# A behaviour as a transcript records it: one of ours, or a name this version does not know (from
# an imported file or a later version), kept as written so that an export reads back the same.
Recorded = Behavior | str

_KNOWN = {b.value: b for b in Behavior}


def recorded(value: str | None) -> Recorded | None:
    """A stored or received behaviour: the Behavior it names, else the string as it came."""
    if value is None:
        return None
    return _KNOWN.get(value, value)
