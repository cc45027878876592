"""The scripted coach: turns composed from retrieval, the seller's words and curated questions.

No model. It is what a new user meets first, and what every LLM tier falls back to, so it has to
be good on its own: it quotes the seller, never repeats a question in a session, moves from
explore to deepen to commit, and meets a short or vague answer with a smaller question.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from coach.datafiles import DataFileError, build_from_data_file
from coach.principles import Principle, PrincipleSet, Stage
from coach.text import normalize_question, one_line, split_sentences

MAX_PHRASE_WORDS = 18
_CLAUSE_SPLIT = re.compile(
    r"\s*(?:[,;:()]|\s[—–-]\s|\.\.\.|…)\s*|\s+(?=(?:and|but|because|so|although|though|while)\s)",
    re.IGNORECASE,
)
_LEADING_FILLER = re.compile(
    r"^(?:(?:and|but|so|honestly|well|like|also|plus|because|i mean|anyway|ok(?:ay)?|lol|"
    r"dunno|idk|meh|i guess|probably|maybe|tbh)\b[.,!\s]*)+",
    re.IGNORECASE,
)
_TRAILING_FILLER = re.compile(
    r"(?:[.,!\s]+(?:or something|or whatever|i guess|lol|tbh|haha|idk|i think))+[.!?\s]*$",
    re.IGNORECASE,
)


class ScriptFileError(DataFileError):
    """data/coaching.yaml is missing or malformed."""


class _WrapUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary_heading: str
    summary_none: str
    principle_with_phrase: str
    principle_alone: str
    commitment_given: str
    commitments_given: str
    commitments_joiner: str
    commitment_missing: str
    mirror_intro: str


class _ScriptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acknowledgements: list[str] = Field(min_length=2)
    acknowledgements_short: list[str] = Field(min_length=1)
    acknowledgement_first_short: str
    clarify_patterns: list[str] = Field(min_length=1)
    clarify_acknowledgement: str
    vague_patterns: list[str]
    vague_questions: list[str] = Field(min_length=2)
    commitment_questions: list[str] = Field(min_length=1)
    request_patterns: list[str]
    narrative_patterns: list[str]
    wrap_up_patterns: list[str]
    commitment_patterns: list[str]
    wrap_up: _WrapUp
    turn_limit_notice: str
    model_error_notice: str
    model_guard_notice: str


def stage_for(coaching_turn: int) -> Stage:
    """Turn 1 explores, turns 2-3 deepen, from turn 4 the coach asks for commitment."""
    if coaching_turn <= 1:
        return "explore"
    if coaching_turn <= 3:
        return "deepen"
    return "commit"


def _tidy(text: str) -> str:
    text = one_line(text).strip(" \"“”'‘’")
    text = text.replace("“", "'").replace("”", "'").replace('"', "'")
    text = _LEADING_FILLER.sub("", text)
    text = _TRAILING_FILLER.sub("", text)
    return text.rstrip(".!?;:, ")


def shorten_phrase(sentence: str, keywords: Collection[str] = ()) -> str:
    """A quotable piece of the seller's sentence: whole when short, else its best clause."""
    text = _tidy(sentence)
    words = text.split()
    if len(words) <= MAX_PHRASE_WORDS:
        return text
    clauses = [_tidy(c) for c in _CLAUSE_SPLIT.split(text) if c and len(c.split()) >= 3]

    def score(clause: str) -> tuple[int, int]:
        lowered = clause.lower()
        hits = sum(1 for k in keywords if k in lowered)
        n = len(clause.split())
        return (hits, -abs(n - 9))

    if clauses:
        best = max(clauses, key=score)
        if len(best.split()) <= MAX_PHRASE_WORDS:
            return best.rstrip(".!?;:, ")
        words = best.split()
    return " ".join(words[: MAX_PHRASE_WORDS - 2]) + "…"


@dataclass(frozen=True)
class ScriptedQuestion:
    text: str
    principle_id: str
    stage: Stage


class CoachingScript:
    """The scripted coach's words (data/coaching.yaml) and how it chooses among them."""

    def __init__(self, spec: _ScriptFile, principles: PrincipleSet) -> None:
        self.spec = spec
        self.principles = principles
        self.vague = [re.compile(p, re.IGNORECASE) for p in spec.vague_patterns]
        self.wrap_request = [re.compile(p, re.IGNORECASE) for p in spec.wrap_up_patterns]
        self.commitment = [re.compile(p, re.IGNORECASE) for p in spec.commitment_patterns]
        self.request = [re.compile(p, re.IGNORECASE) for p in spec.request_patterns]
        self.narrative = [re.compile(p, re.IGNORECASE) for p in spec.narrative_patterns]
        self.clarify = [re.compile(p, re.IGNORECASE) for p in spec.clarify_patterns]
        # Curated question text -> principle, to recognise the coach's own earlier questions in a
        # transcript that does not carry principle ids.
        self.question_owner = {
            normalize_question(q.text): p.id for p in principles.principles for q in p.questions
        }

    @classmethod
    def load(cls, path: Path, principles: PrincipleSet) -> CoachingScript:
        return build_from_data_file(
            path,
            _ScriptFile,
            "Coaching script",
            lambda spec: cls(spec, principles),
            ScriptFileError,
        )

    # -- reading the seller ---------------------------------------------------------------------

    def is_vague(self, text: str) -> bool:
        stripped = text.strip()
        return len(stripped.split()) <= 4 or any(p.search(stripped) for p in self.vague)

    def is_request(self, text: str) -> bool:
        """A request to the coach rather than a story about the seller's week."""
        said = split_sentences(text)
        asking = [any(p.search(s) for p in self.request) for s in said]
        # A story is told in sentences that do not ask: "add a meeting to my calendar" is a
        # request with "my" in it, "I lost the deal. Can you help?" tells first.
        tells = any(
            not asked and len(s.split()) >= 4 and any(p.search(s) for p in self.narrative)
            for s, asked in zip(said, asking, strict=True)
        )
        return any(asking) and not tells

    def asks_what_was_meant(self, text: str) -> bool:
        """The seller asks what the coach's last question meant."""
        return any(p.search(text) for p in self.clarify)

    def asks_to_wrap_up(self, text: str) -> bool:
        return any(p.search(text) for p in self.wrap_request)

    def commitment_in(self, texts: Sequence[str]) -> str | None:
        """The seller's latest sentence that commits to something, if any."""
        for text in reversed(texts):
            for sentence in reversed(split_sentences(one_line(text))):
                if any(p.search(sentence) for p in self.commitment):
                    return shorten_phrase(sentence, ("will", "going to", "'ll"))
        return None

    # -- composing ------------------------------------------------------------------------------

    def acknowledgement(self, phrase: str | None, turn_index: int, *, first: bool = False) -> str:
        if not phrase or len(phrase.split()) < 3:
            if first:
                return self.spec.acknowledgement_first_short
            options = self.spec.acknowledgements_short
            return options[turn_index % len(options)]
        options = self.spec.acknowledgements
        return options[turn_index % len(options)].format(phrase=phrase)

    def question(
        self,
        ranked_ids: Sequence[str],
        stage: Stage,
        asked: Collection[str],
    ) -> ScriptedQuestion | None:
        """The first not-yet-asked curated question: the focus principle at this stage, then its
        neighbouring stages, then the next principles in rank order."""
        order: dict[Stage, tuple[Stage, ...]] = {
            "explore": ("explore", "deepen", "commit"),
            "deepen": ("deepen", "explore", "commit"),
            "commit": ("commit", "deepen", "explore"),
        }
        for pid in ranked_ids:
            principle = self.principles.get(pid)
            for s in order[stage]:
                for q in principle.questions_for(s):
                    if normalize_question(q.text) not in asked:
                        return ScriptedQuestion(q.text, pid, s)
        return None

    def commits(self, text: str) -> bool:
        return any(p.search(text) for p in self.commitment)

    def commitment_question(self, asked: Collection[str]) -> str | None:
        for q in self.spec.commitment_questions:
            if normalize_question(q) not in asked:
                return q
        return None

    def vague_question(self, asked: Collection[str]) -> str | None:
        for q in self.spec.vague_questions:
            if normalize_question(q) not in asked:
                return q
        return None

    def wrap_up(
        self,
        explored: Sequence[tuple[Principle, str | None]],
        commitments: Sequence[str],
        mirror_question: str,
        *,
        feelings: str | None = None,
    ) -> str:
        w = self.spec.wrap_up
        lines = [
            w.principle_with_phrase.format(title=p.title, phrase=phrase)
            if phrase and phrase not in commitments
            else w.principle_alone.format(title=p.title)
            for p, phrase in explored
        ]
        # A principle the seller's own words bear on is worth keeping; one only asked about,
        # beside those, is not.
        paired = [line for line, (_, phrase) in zip(lines, explored, strict=True) if phrase]
        lines = paired or lines
        summary = "\n".join([w.summary_heading, *lines]) if lines else w.summary_none
        if feelings:
            summary = f"{summary}\n\n{feelings}"
        # The seller's words stay whole, their own full stop included; the sentence's closing
        # full stop is added only when the quote does not end in one ("…I guess.”." read badly).
        said = [c.strip() for c in commitments]
        if len(said) == 1:
            ask = _closed(w.commitment_given.format(commitment=said[0]), said[0])
        elif said:
            ask = _closed(
                w.commitments_given.format(
                    commitments=w.commitments_joiner.join(f"“{c}”" for c in said)
                ),
                said[-1],
            )
        else:
            ask = w.commitment_missing
        return f"{summary}\n\n{ask}\n\n{w.mirror_intro} {mirror_question}"


def _closed(sentence: str, last_quoted: str) -> str:
    return sentence if last_quoted[-1:] in ".!?" else sentence + "."
