"""What a manager asks for: the team's situation, the channel, the tone, the length, what they
will do first; and whether it can be drafted (`validated`), one sentence when it cannot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coach.challenge.options import TONES, Channel, Tone
from coach.challenge.script import ChannelSpec
from coach.errors import CoachError
from coach.limits import Limits


class ChallengeInputError(CoachError, ValueError):
    """The manager's request cannot be drafted (empty situation, bad length...)."""


@dataclass(frozen=True)
class ChallengeRequest:
    situation: str
    channel: Channel = "slack"
    tone: Tone = "warm"
    words: int | None = None  # target length; the channel's default when None
    commitment: str | None = None  # what the manager will do first
    sacrifice: str | None = None  # what the manager will give up or take on (optional answer)


def validated(
    request: ChallengeRequest, channels: Mapping[Channel, ChannelSpec], limits: Limits
) -> ChallengeRequest:
    """The request, if it can be drafted on one of `channels`; otherwise one sentence why not."""
    if not request.situation or not request.situation.strip():
        raise ChallengeInputError("Describe your team's situation in a sentence or two first.")
    limits.message(request.situation, "The situation")
    if request.channel not in channels:
        raise ChallengeInputError("The channel must be slack or email.")
    if request.tone not in TONES:  # a request is a plain dataclass: nothing checked it yet
        raise ChallengeInputError("The tone must be warm or direct.")
    spec = channels[request.channel]
    if request.words is not None and not spec.min_words <= request.words <= spec.max_words:
        raise ChallengeInputError(
            f"For {request.channel}, choose between {spec.min_words} and {spec.max_words} words."
        )
    return request
