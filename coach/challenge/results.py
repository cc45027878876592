"""What drafting and checking give back: each check on a draft (`Finding`), the principles it
touches (`PrincipleMatch`), the report of them all (`DraftReport`), and the draft with how it
was written (`DraftResult`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from coach.challenge.request import ChallengeRequest
from coach.llm import Tier


@dataclass(frozen=True)
class Finding:
    """One check on a draft, with the sentence that decided it."""

    name: str
    passed: bool
    detail: str
    sentence: str = ""


@dataclass(frozen=True)
class PrincipleMatch:
    id: str
    title: str
    quote: str
    sentence: str  # the draft's sentence that touches it ("" when missed)
    score: float


@dataclass(frozen=True)
class DraftReport:
    findings: tuple[Finding, ...]
    touched: tuple[PrincipleMatch, ...]
    missed: tuple[str, ...]
    words: int

    @property
    def passed(self) -> bool:
        return all(f.passed for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "words": self.words,
            "findings": [asdict(f) for f in self.findings],
            "touched": [asdict(m) for m in self.touched],
            "missed": list(self.missed),
        }


@dataclass(frozen=True)
class DraftResult:
    draft: str
    principle_ids: tuple[str, ...]
    report: DraftReport
    tier: Tier
    model: str
    latency_ms: int
    model_passed: bool | None = None  # None: no model wrote it
    fallback: bool = False
    notice: str | None = None
    request: ChallengeRequest | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, Any]:
        """The CLI's `--json`: the draft, the principles it rests on, and the checks."""
        return {
            "draft": self.draft,
            "principle_ids": list(self.principle_ids),
            "checks": self.report.as_dict(),
            "tier": self.tier.value,
            "model": self.model,
            "model_passed": self.model_passed,
            "fallback": self.fallback,
            "notice": self.notice,
        }
