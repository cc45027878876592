"""data/challenge.yaml: the scripted composer's words and the draft checks' patterns in their
schema, and `ChallengeScript`, the file loaded with its patterns compiled."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from coach.challenge.options import Channel, Tone
from coach.datafiles import DataFileError, build_from_data_file


class ChallengeFileError(DataFileError):
    """data/challenge.yaml is missing or malformed."""


class ChannelSpec(BaseModel):
    """How long a message on one channel may be, in words."""

    min_words: int
    max_words: int
    default_words: int


class _PrincipleLines(BaseModel):
    situation: str
    warm: str
    direct: str
    short: str


class _Opening(BaseModel):
    facts: str
    topic: str


class _Question(BaseModel):
    id: str
    text: str


class _Checks(BaseModel):
    go_first_patterns: list[str]
    blame_patterns: list[str]


class _Email(BaseModel):
    subject: str
    greeting: str
    sign_off: str


class _ChallengeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[_Question] = Field(max_length=2)
    mirror: str
    channels: dict[Channel, ChannelSpec]
    openings: dict[Tone, _Opening]
    fact_patterns: list[str]
    never_quote_patterns: list[str]
    turn: dict[Tone, str]
    principles: dict[str, _PrincipleLines]
    go_first: dict[str, str]
    invitation: dict[Channel, str]
    closings: dict[Tone, str]
    email: _Email
    checks: _Checks


class ChallengeScript:
    """The composer's words and the draft checks, from data/challenge.yaml."""

    def __init__(self, spec: _ChallengeFile) -> None:
        self.spec = spec
        flags = re.IGNORECASE
        self.facts = [re.compile(p, flags) for p in spec.fact_patterns]
        self.never_quote = [re.compile(p, flags) for p in spec.never_quote_patterns]
        self.go_first = [re.compile(p, flags) for p in spec.checks.go_first_patterns]
        self.blame = [re.compile(p, flags) for p in spec.checks.blame_patterns]

    @classmethod
    def load(cls, path: Path) -> ChallengeScript:
        return build_from_data_file(path, _ChallengeFile, "Challenge file", cls, ChallengeFileError)
