"""Managers: the Pivot to Leadership challenge for their team, drafted, revised and checked.

Its public names are below; each loads with its module on first use (coach/lazy.py), so a
process that never drafts never pays for it."""

from typing import TYPE_CHECKING

from coach.lazy import public

if TYPE_CHECKING:  # the public names; each loads with its module on first use
    from coach.challenge.drafting import ChallengeEngine as ChallengeEngine
    from coach.challenge.options import (
        CHANNELS as CHANNELS,
        TONES as TONES,
        Channel as Channel,
    )
    from coach.challenge.records import record_draft as record_draft
    from coach.challenge.request import ChallengeRequest as ChallengeRequest
    from coach.challenge.results import DraftReport as DraftReport, DraftResult as DraftResult
    from coach.challenge.script import ChallengeScript as ChallengeScript

__all__, __getattr__ = public(__name__, __file__)
