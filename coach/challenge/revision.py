"""A revision the manager asks for, read as a changed request: "shorter", "longer", "warmer",
"more direct", "as an email", "for Slack". A model tier also gets the instruction itself, for
the edits these words do not cover."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from coach.challenge.options import Channel
from coach.challenge.request import ChallengeInputError, ChallengeRequest
from coach.challenge.script import ChannelSpec

# What the scripted composer says when the instruction changed none of the above.
SCRIPTED_REVISIONS = (
    "The scripted composer can make a draft shorter, longer, warmer, more direct, "
    "or switch Slack and email; connect a model for free-text edits."
)


def revised(
    request: ChallengeRequest, instruction: str, channels: Mapping[Channel, ChannelSpec]
) -> ChallengeRequest:
    """The request with what `instruction` asks for changed (the same request if nothing)."""
    text = instruction.strip().lower()
    if not text:
        raise ChallengeInputError("Say how to revise it, e.g. shorter, warmer, more direct.")
    spec = channels[request.channel]
    words = request.words or spec.default_words
    changed = request
    if "shorter" in text or "shorten" in text or "briefer" in text:
        changed = _replace(changed, words=max(spec.min_words, int(words * 0.7)))
    if "longer" in text:
        changed = _replace(changed, words=min(spec.max_words, int(words * 1.3)))
    if "warm" in text or "softer" in text or "friendlier" in text:
        changed = _replace(changed, tone="warm")
    if "direct" in text or "blunter" in text or "firmer" in text:
        changed = _replace(changed, tone="direct")
    if "email" in text:
        changed = _replace(changed, channel="email", words=None)
    if "slack" in text:
        changed = _replace(changed, channel="slack", words=None)
    return changed


def _replace(request: ChallengeRequest, **changes: Any) -> ChallengeRequest:
    return ChallengeRequest(**{**asdict(request), **changes})
