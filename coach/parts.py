"""The parts every engine shares, built once by `coach.wiring.build_parts` and passed down.

The coach (`dialogue.Coach`), the manager's challenge engine, the transcript reviewer, the
evals, the app's pages and the CLI all take a `CoachParts` and read what they need from it;
none of them reaches into another engine for its parts. Tests build theirs with the same
wiring and swap one field with `dataclasses.replace` (a fake chat model, a clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.guards import Guards
    from coach.llm import ChatModelChoice, PromptLibrary
    from coach.principles import PrincipleSet
    from coach.reflect import CoachingScript, ListeningScript
    from coach.retrieval import MiniLMEncoder, PrincipleRetriever
    from coach.safety import SafetyTriage
    from coach.understanding import MessageReader


@dataclass(frozen=True)
class CoachParts:
    principles: PrincipleSet
    encoder: MiniLMEncoder
    retriever: PrincipleRetriever
    safety: SafetyTriage  # what comes in: risk, requests, language
    guards: Guards  # what goes out: the checks on every reply
    script: CoachingScript  # the scripted coach's words and its reading of the seller
    reader: MessageReader  # what a seller's message says: its move, feelings, commitment
    listening: ListeningScript  # how the scripted coach reflects and asks, by move
    prompts: PromptLibrary
    chat: ChatModelChoice  # the tier, and its model when there is one
    clock: Callable[[], float] = field(default=time.perf_counter)
