"""A transcript to review, from an upload or a file: the app's JSON export, or plain text with
Seller:/Coach: prefixes; anything else is one sentence saying what is wrong and what would work."""

from __future__ import annotations

import json
import re

from coach.errors import CoachError
from coach.transcripts import (
    SessionRecord,
    Transcript,
    TranscriptFormatError,
    from_json,
)
from coach.turns import Role, Turn

_SPEAKER = re.compile(
    r"^\s*\**\s*(seller|user|rep|me|coach|assistant|ai|bot)\s*\**\s*[:>-]\s?(.*)$", re.IGNORECASE
)
_SELLER_ROLES = {"seller", "user", "rep", "me"}


class ReviewInputError(CoachError, ValueError):
    """The file cannot be reviewed; the message is one sentence for the user."""


def read_transcript(data: bytes, name: str = "the file", max_bytes: int = 1_000_000) -> Transcript:
    """A transcript from an upload or a file: the app's JSON export, or plain text with speaker
    prefixes. Anything else gets one sentence saying what is wrong and what would work."""
    if not data or not data.strip():
        raise ReviewInputError(f"{name} is empty: paste or upload a transcript.")
    if len(data) > max_bytes:
        raise ReviewInputError(
            f"{name} is {len(data) / 1_000_000:.1f} MB; a transcript to review must be under "
            f"{max_bytes / 1_000_000:.0f} MB. Split it into sessions."
        )
    if b"\x00" in data[:4096]:
        raise ReviewInputError(f"{name} looks like a binary file, not a transcript.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReviewInputError(
            f"{name} is not UTF-8 text: save it as UTF-8 and try again."
        ) from None
    if text.lstrip().startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReviewInputError(
                f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}); export it "
                "again from the app or use plain text with Seller:/Coach: prefixes."
            ) from None
        try:
            return from_json(parsed)
        except TranscriptFormatError as exc:
            raise ReviewInputError(str(exc)) from None
    return parse_text(text, name)


def parse_text(text: str, name: str = "the text") -> Transcript:
    """Plain text: turns start with Seller:/Coach: (or User:/Assistant:), any case."""
    turns: list[tuple[Role, list[str]]] = []
    for line in text.splitlines():
        m = _SPEAKER.match(line)
        if m:
            role: Role = "user" if m.group(1).lower() in _SELLER_ROLES else "assistant"
            turns.append((role, [m.group(2).strip()]))
        elif turns and line.strip():
            turns[-1][1].append(line.strip())
    turns = [(role, lines) for role, lines in turns if " ".join(lines).strip()]
    if not turns:
        raise ReviewInputError(
            f"{name} has no turns: start each one with a speaker, e.g. 'Seller:' or 'Coach:'."
        )
    records = tuple(Turn(role, " ".join(lines), seq=n) for n, (role, lines) in enumerate(turns, 1))
    session = SessionRecord(
        id="",
        mode="reflect",
        started_at="",
        tier="unknown",
        model="unknown",
        title=" ".join(records[0].text.split()[:8]),
        turn_count=len(records),
    )
    return Transcript(session, records)
