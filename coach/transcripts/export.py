"""Transcripts as Markdown (for people) and as versioned JSON (for the Review page and tools).

JSON schema, version 1 (`"schema": "pivot-coach/transcript"`):

    {"schema": "pivot-coach/transcript", "version": 1,
     "session": {"id", "mode", "title", "started_at", "ended_at", "tier", "model"},
     "turns": [{"seq", "role": "user"|"assistant", "text", "created_at",
                "principle_ids": [...], "behavior", "latency_ms", "notice", "feedback",
                "guard": {...} | null}]}

Readers must accept unknown keys (later versions only add fields) and refuse a newer major
`version` with a clear message.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.behavior import Behavior, recorded
from coach.datafiles import first_problem
from coach.errors import CoachError
from coach.inert import for_markdown
from coach.principles import PrincipleSet
from coach.transcripts.model import SessionRecord, Transcript
from coach.turns import Turn

SCHEMA = "pivot-coach/transcript"
VERSION = 1


class TranscriptFormatError(CoachError, ValueError):
    """A transcript file that is not in the documented JSON schema."""


def to_json(transcript: Transcript) -> dict[str, Any]:
    s = transcript.session
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "session": {
            "id": s.id,
            "mode": s.mode,
            "title": s.title,
            "started_at": s.started_at,
            "ended_at": s.ended_at,
            "tier": s.tier,
            "model": s.model,
        },
        "turns": [
            {
                "seq": t.seq,
                "role": t.role,
                "text": t.text,
                "created_at": t.created_at,
                "principle_ids": list(t.principle_ids),
                "behavior": t.behavior,
                "latency_ms": t.latency_ms,
                "notice": t.notice,
                "feedback": t.feedback,
                "guard": t.guard,
            }
            for t in transcript.turns
        ],
    }


class _Session(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = ""
    mode: str = "reflect"
    title: str | None = None
    started_at: str = ""
    ended_at: str | None = None
    tier: str = "unknown"
    model: str = "unknown"


class _File(BaseModel):
    model_config = ConfigDict(extra="ignore")
    schema_: str = Field(alias="schema")
    version: int
    session: _Session
    turns: list[Turn]  # each turn's keys are Turn's fields; unknown keys are ignored


def from_json(data: Any) -> Transcript:
    """Parse an export; raises TranscriptFormatError with one sentence."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise TranscriptFormatError(
            f'This is not a Pivot Coach transcript export (expected "schema": "{SCHEMA}").'
        )
    if isinstance(data.get("version"), int) and data["version"] > VERSION:
        raise TranscriptFormatError(
            f"This transcript uses schema version {data['version']}; this version of Pivot "
            f"Coach reads up to {VERSION}. Update Pivot Coach to read it."
        )
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        loc, msg = first_problem(exc)
        raise TranscriptFormatError(f"The transcript is invalid at {loc}: {msg}.") from None
    s = parsed.session
    # An export carries no turn ids (a store gives its own) and may leave out the places.
    turns = tuple(
        replace(t, id="", seq=t.seq or n, behavior=recorded(t.behavior))
        for n, t in enumerate(parsed.turns, 1)
    )
    session = SessionRecord(
        id=s.id,
        mode=s.mode,
        started_at=s.started_at,
        tier=s.tier,
        model=s.model,
        title=s.title,
        ended_at=s.ended_at,
        turn_count=len(turns),
    )
    return Transcript(session, turns)


def _quote_block(text: str) -> str:
    lines = for_markdown(text).splitlines() or [""]
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def to_markdown(transcript: Transcript, principles: PrincipleSet) -> str:
    """A readable transcript, each coach turn followed by the principle it rests on."""
    s = transcript.session
    lines = [
        f"# Pivot Coach: {for_markdown(s.title) if s.title else 'reflection'}",
        "",
        f"- Started: {s.started_at}" + (f", ended: {s.ended_at}" if s.ended_at else ""),
        f"- Coach: {s.tier} ({s.model})",
        f"- Session: `{s.id}`",
        "",
    ]
    cited: list[str] = []
    for t in transcript.turns:
        who = "Seller" if t.role == "user" else "Coach"
        if s.mode == "challenge":
            who = "Manager" if t.role == "user" else "Coach"
        lines += [f"**{who}:**", "", _quote_block(t.text), ""]
        if t.role == "assistant":
            for pid in t.principle_ids:
                if pid in principles:
                    p = principles.get(pid)
                    lines.append(f"*Principle: {p.title} (`{p.id}`): \u201c{p.source_quote}\u201d*")
                    if pid not in cited:
                        cited.append(pid)
            if t.behavior and t.behavior != Behavior.SOCRATIC:
                lines.append(f"*({t.behavior.replace('_', ' ')})*")
            if t.feedback is not None:
                lines.append(
                    f"*Seller found this {'helpful' if t.feedback > 0 else 'not helpful'}.*"
                )
            if t.notice:
                lines.append(f"*Note: {for_markdown(t.notice)}*")
            lines.append("")
    if cited:
        lines += ["## Principles cited", ""]
        for pid in cited:
            p = principles.get(pid)
            lines.append(f"- **{p.title}** (`{p.id}`): \u201c{p.source_quote}\u201d")
        lines.append("")
    return "\n".join(lines)
