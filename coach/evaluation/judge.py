"""An optional LLM judge, calibrated before it is trusted.

One criterion per call, JSON answers with an evidence quote that must occur verbatim in the
principle's text (checked here, not trusted), the majority of three calls at temperature 0.
An answer that cannot be parsed, or whose evidence is not in the principle, is `judge_error`:
never a pass, never a fail. Its agreement with the hand labels is Cohen's kappa; below 0.6 its
figures are reported and never gate anything.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from coach.llm import PromptLibrary
from coach.principles import PrincipleSet
from coach.text import one_line


class Ruling(StrEnum):
    PASSED = "pass"
    FAILED = "fail"
    ERROR = "judge_error"  # never a pass, never a fail


JUDGE_ERROR = Ruling.ERROR


@dataclass(frozen=True)
class JudgeRuling:
    """The judge's answer on one reply. (Not the safety triage's Verdict, which classifies the
    seller's message.)"""

    verdict: Ruling
    evidence: str = ""
    votes: tuple[Ruling, ...] = ()


def cohens_kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    """Agreement beyond chance between two binary raters (None when undefined)."""
    n = len(a)
    if n == 0 or n != len(b):
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


class Judge:
    def __init__(
        self, model: Any, prompts: PromptLibrary, principles: PrincipleSet, votes: int = 3
    ) -> None:
        self.model = model
        self.prompts = prompts
        self.principles = principles
        self.votes = votes

    def on_principle(self, seller: str, reply: str, principle_id: str) -> JudgeRuling:
        if principle_id not in self.principles:
            return JudgeRuling(JUDGE_ERROR, f"unknown principle {principle_id!r}")
        p = self.principles.get(principle_id)
        prompt = self.prompts.render(
            "judge_on_principle",
            principle_id=p.id,
            title=p.title,
            quote=p.source_quote,
            meaning=one_line(p.meaning),
            seller=seller,
            reply=reply,
        )
        source = one_line(f"{p.title} {p.source_quote} {p.meaning}").lower()
        answers = [self._ask(prompt, source) for _ in range(self.votes)]
        valid = [a for a in answers if a.verdict != JUDGE_ERROR]
        votes = tuple(a.verdict for a in answers)
        if len(valid) * 2 <= self.votes:  # no majority of valid answers
            return JudgeRuling(JUDGE_ERROR, "most answers were unusable", votes)
        winner, count = Counter(a.verdict for a in valid).most_common(1)[0]
        if count * 2 <= self.votes:
            return JudgeRuling(JUDGE_ERROR, "no majority", votes)
        evidence = next(a.evidence for a in valid if a.verdict == winner)
        return JudgeRuling(winner, evidence, votes)

    def _ask(self, prompt: str, source: str) -> JudgeRuling:
        try:
            raw = str(self.model.invoke(prompt).content)
        except Exception as exc:
            return JudgeRuling(JUDGE_ERROR, type(exc).__name__)
        match = re.search(r"\{.*\}", raw, re.S)
        try:
            data = json.loads(match.group(0)) if match else None
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            return JudgeRuling(JUDGE_ERROR, "not JSON")
        verdict, evidence = data.get("verdict"), data.get("evidence")
        if verdict not in ("pass", "fail") or not isinstance(evidence, str) or not evidence.strip():
            return JudgeRuling(JUDGE_ERROR, "no verdict or no evidence")
        if one_line(evidence).lower().strip(" .\"'") not in source:
            return JudgeRuling(JUDGE_ERROR, f"evidence not in the principle: {evidence[:80]}")
        return JudgeRuling(Ruling(verdict), evidence)  # a pass or a fail, checked above


def build_judge(settings: Any, prompts: PromptLibrary, principles: PrincipleSet) -> Judge | None:
    """A judge when COACH_JUDGE_BASE_URL is set (any OpenAI-compatible server), else None."""
    if not settings.judge_base_url:
        return None
    from pydantic import SecretStr

    from coach.llm import OpenAIChatModel

    model = OpenAIChatModel.connect(
        model=settings.judge_model,
        base_url=settings.judge_base_url,
        api_key=settings.judge_api_key or SecretStr("not-needed"),
        temperature=0,
        timeout=settings.openai_timeout_s,
        max_retries=settings.openai_max_retries,
    )
    return Judge(model, prompts, principles)
