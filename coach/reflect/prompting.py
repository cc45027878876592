"""What a model tier is sent for one turn: the system prompt, the conversation so far as chat
turns (trimmed), and the latest turn carrying the principles, the reading of the seller's
message and what the move calls for; and the retry after a reply that failed the guards.

The templates are in prompts/ (coach/llm/prompts.py); this module fills them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coach.guards import GuardReport
from coach.llm import PromptLibrary
from coach.principles import PrincipleSet, Stage
from coach.reflect.model_reply import failures
from coach.text import one_line
from coach.turns import Turn
from coach.understanding import Move, Reading

HISTORY_TURNS = 8
HISTORY_CHARS = 600

_STAGE_HINTS: dict[str, str] = {
    "explore": "open up what happened and what it meant to them",
    "deepen": "look underneath: what got in the way, what it cost, what it says",
    "commit": "invite one concrete next step for the coming week",
}

_MOVE_HINTS: dict[Move, str] = {
    Move.FEELING: "Acknowledge the feeling first; do not raise leadership before it is met.",
    Move.INSIGHT: "Stay with the insight and deepen it; do not jump to another principle.",
    Move.COMMITMENT: "Make the commitment concrete: when, with whom, what might get in the way.",
    Move.BLAME: "Invite the seller's own part without arguing or blaming anyone.",
    Move.PUSHBACK: "Roll with it: ask what would make this worth their time.",
    Move.QUESTION: "Hand it back with care; if asked again, offer the principle as a lens.",
    Move.VAGUE: "Ask a smaller, concrete question about the same thing.",
    Move.WIN: "Affirm the win, then ask what they did that made it happen.",
}


def turn_prompt(
    prompts: PromptLibrary,
    principles: PrincipleSet,
    *,
    retrieved: Sequence[str],
    reading: Reading,
    latest: str,
    stage: Stage,
    focus_id: str,
    asked: set[str],
) -> str:
    """The latest turn as the model reads it: the seller's message as data, with the
    principles on offer, the reading and the stage."""
    return prompts.render(
        "turn",
        principles=principles_block(principles, retrieved),
        reading=reading_block(reading),
        substance=", ".join(f'"{t}"' for t in reading.substance[:3]) or "what they described",
        move_hint=_MOVE_HINTS.get(reading.move, ""),
        # A pasted document is data: it cannot close the delimiters that mark it as such.
        message=latest.replace("<<<", "‹‹‹").replace(">>>", "›››"),
        stage=stage,
        stage_hint=_STAGE_HINTS[stage],
        focus_id=focus_id,
        asked="\n".join(f"- {q}" for q in sorted(asked)) or "(none yet)",
    )


def chat_messages(system: str, messages: Sequence[Turn], turn: str) -> list[Any]:
    """The conversation as real chat turns, the latest one carrying the principles and the
    reading; earlier seller turns are data, trimmed so a pasted page stays small."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    earlier: list[Any] = [
        HumanMessage(trim(m.text)) if m.role == "user" else AIMessage(trim(m.text))
        for m in messages[:-1][-HISTORY_TURNS:]
    ]
    return [SystemMessage(system), *earlier, HumanMessage(turn)]


def retry_messages(
    prompts: PromptLibrary, raw: str, report: GuardReport, retrieved: Sequence[str]
) -> list[Any]:
    """The failed reply and the request to write it again, to add to the chat."""
    from langchain_core.messages import AIMessage, HumanMessage

    retry = prompts.render("retry", failures=failures(report), ids=", ".join(retrieved))
    return [AIMessage(raw), HumanMessage(retry)]


def principles_block(principles: PrincipleSet, ids: Sequence[str]) -> str:
    lines = []
    for pid in ids:
        p = principles.get(pid)
        lines.append(f'- id: {p.id}\n  title: {p.title}\n  source: "{p.source_quote}"')
        lines.append(f"  meaning: {' '.join(p.meaning.split())}")
    return "\n".join(lines)


def reading_block(reading: Reading) -> str:
    lines = [f"- move: {reading.move.value}"]
    if reading.feelings:
        felt = ", ".join(f'{f.label} ("{f.words}")' for f in reading.feelings)
        lines.append(f"- feelings: {felt}")
    if reading.actors:
        lines.append("- who acts: " + ", ".join(reading.actors))
    if reading.commitment:
        lines.append(f'- commitment: "{reading.commitment}"')
    lines.append(f"- time: {reading.horizon}")
    return "\n".join(lines)


def trim(text: str) -> str:
    text = one_line(text)
    return text if len(text) <= HISTORY_CHARS else text[: HISTORY_CHARS - 1] + "…"
