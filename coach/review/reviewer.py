"""Coaches: a per-turn review of a reflection transcript, a scorecard, and next questions.

Deterministic checks decide every number (the coach-side checks are the reply guards, shared
with the live coach and the evals); an LLM tier may add a short narrative, never the numbers.
Text inside a transcript is data: it is matched and quoted, never obeyed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from coach.behavior import Behavior
from coach.datafiles import build_from_data_file
from coach.errors import CoachError
from coach.guards import ReplyContext
from coach.inert import for_markdown
from coach.parts import CoachParts
from coach.principles import PrincipleSet
from coach.text import normalize_question, questions
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
RELEVANT_SIMILARITY = 0.35


class ReviewInputError(CoachError, ValueError):
    """The file cannot be reviewed; the message is one sentence for the user."""


class _Seller(BaseModel):
    blame: list[str]
    ownership: list[str]
    short_term: list[str]
    long_term: list[str]
    strain: list[str]


class _Coach(BaseModel):
    names: dict[str, list[str]]


class _ReviewFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seller: _Seller
    coach: _Coach
    max_bytes: int


@dataclass(frozen=True)
class Flag:
    name: str
    evidence: str  # the words that raised it


@dataclass(frozen=True)
class TurnReview:
    seq: int
    role: str
    text: str
    principles: list[str] = field(default_factory=list)
    near: list[str] = field(default_factory=list)  # seller: the top three, however weak
    flags: list[Flag] = field(default_factory=list)
    # seller
    blame: int = 0
    ownership: int = 0
    horizon: str | None = None  # short | long | mixed | None
    # coach
    questions: int = 0
    open_questions: int = 0
    socratic: bool | None = None  # one open, non-leading question, no advice
    relevant: bool | None = None  # cites a principle the seller's last message touched


@dataclass(frozen=True)
class BlameShift:
    """The seller's ownership minus blame language, turn by turn, and where it went."""

    trend: float | None  # second half against first; None under two seller turns
    direction: str | None  # toward ownership | toward blame | steady | no blame language
    per_seller_turn: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_seller_turn": list(self.per_seller_turn)}


@dataclass(frozen=True)
class Scorecard:
    """The session's numbers, every one decided by the checks."""

    principle_fidelity: float | None  # coach questions on what the seller raised
    socratic_quality: float | None  # coach turns with one open, non-leading question, no advice
    blame_to_ownership: BlameShift
    coach_turns: int  # the coaching turns rated (care and redirects are not)
    questions_per_coach_turn: float | None
    telling: int  # principles the coach named before the seller raised them
    crisis: bool  # the seller used crisis language
    coached_through_crisis: tuple[int, ...]  # the coach turns (seq) that coached through it
    explored: tuple[str, ...]
    never_explored: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The scorecard as `coach review --json` prints it."""
        return {
            **asdict(self),
            "blame_to_ownership": self.blame_to_ownership.as_dict(),
            "coached_through_crisis": list(self.coached_through_crisis),
            "explored": list(self.explored),
            "never_explored": list(self.never_explored),
        }


@dataclass(frozen=True)
class Suggestion:
    """A next question: the curated one for a principle the session never explored."""

    principle_id: str
    title: str
    question: str


@dataclass(frozen=True)
class ReviewedSession:
    """Which session was reviewed, as far as the transcript says."""

    id: str
    title: str | None
    started_at: str
    tier: str
    turns: int


@dataclass(frozen=True)
class Review:
    turns: list[TurnReview]
    scorecard: Scorecard
    suggestions: list[Suggestion]
    session: ReviewedSession
    narrative: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "session": asdict(self.session),
            "turns": [{**asdict(t), "flags": [asdict(f) for f in t.flags]} for t in self.turns],
            "scorecard": self.scorecard.as_dict(),
            "suggestions": [asdict(q) for q in self.suggestions],
            "narrative": self.narrative,
        }


class ReviewRules:
    def __init__(self, spec: _ReviewFile) -> None:
        def c(items: list[str]) -> list[re.Pattern[str]]:
            return [re.compile(p, re.IGNORECASE) for p in items]

        self.blame = c(spec.seller.blame)
        self.ownership = c(spec.seller.ownership)
        self.short_term = c(spec.seller.short_term)
        self.long_term = c(spec.seller.long_term)
        self.strain = c(spec.seller.strain)
        self.names = {pid: [n.lower() for n in names] for pid, names in spec.coach.names.items()}
        self.max_bytes = spec.max_bytes

    @classmethod
    def load(cls, path: Path) -> ReviewRules:
        return build_from_data_file(path, _ReviewFile, "Review rules", cls, ReviewInputError)


# -- reading transcripts --------------------------------------------------------------------------


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


# -- the review -----------------------------------------------------------------------------------


class Reviewer:
    def __init__(self, parts: CoachParts, rules: ReviewRules, *, k: int = 3) -> None:
        self.parts = parts
        self.rules = rules
        self.k = k  # principles a seller turn is read against

    @property
    def max_bytes(self) -> int:
        """The largest transcript it reviews (from the review rules)."""
        return self.rules.max_bytes

    def review(self, transcript: Transcript) -> Review:
        reviews: list[TurnReview] = []
        seller_touched: set[str] = set()
        seller_turns: list[TurnReview] = []
        for t in transcript.turns:
            if t.role == "user":
                r = self._seller_turn(t)
                seller_touched |= set(r.principles)
                seller_turns.append(r)
            else:
                at_risk = bool(seller_turns) and any(
                    f.name == "crisis" for f in seller_turns[-1].flags
                )
                r = self._coach_turn(t, seller_turns[-2:], seller_touched, at_risk)
            reviews.append(r)
        scorecard = self._scorecard(reviews)
        return Review(
            turns=reviews,
            scorecard=scorecard,
            suggestions=self._suggestions(transcript, scorecard.never_explored),
            session=ReviewedSession(
                id=transcript.session.id,
                title=transcript.session.title,
                started_at=transcript.session.started_at,
                tier=transcript.session.tier,
                turns=len(transcript.turns),
            ),
        )

    def _seller_turn(self, t: Turn) -> TurnReview:
        text = t.text
        flags: list[Flag] = []
        triage = self.parts.safety.triage(text)
        if triage.verdict.risk:  # acute or concern: either is flagged first
            flags.append(Flag("crisis", triage.matched))
        ranked = self.parts.retriever.retrieve(text, k=self.k)
        hits = [h for h in ranked if self.parts.retriever.is_reflection([h])]
        blame = _matches(self.rules.blame, text)
        owned = _matches(self.rules.ownership, text)
        flags += [Flag("blame", e) for e in blame] + [Flag("ownership", e) for e in owned]
        short = _matches(self.rules.short_term, text)
        long = _matches(self.rules.long_term, text)
        horizon = "mixed" if short and long else "short" if short else "long" if long else None
        flags += [Flag("short_term", e) for e in short] + [Flag("long_term", e) for e in long]
        flags += [Flag("strain", e) for e in _matches(self.rules.strain, text)]
        return TurnReview(
            seq=t.seq,
            role="seller",
            text=text,
            principles=[h.id for h in hits],
            near=[h.id for h in ranked],
            flags=flags,
            blame=len(blame),
            ownership=len(owned),
            horizon=horizon,
        )

    def _coach_turn(
        self,
        t: Turn,
        recent: Sequence[TurnReview],
        seller_touched: set[str],
        at_risk: bool = False,
    ) -> TurnReview:
        text = t.text
        flags: list[Flag] = []
        # A person at risk needs care, not a question about their pipeline: a coach turn that
        # answers crisis language with coaching is the coach's worst failure, flagged first.
        coached_through = (
            at_risk and not self.parts.guards.crisis_safe(text, ReplyContext(crisis=True)).passed
        )
        if coached_through:
            flags.append(Flag("coached_through_crisis", text[:200]))
        qs = questions(text)
        opens = [q for q in qs if self.parts.guards.open_question(q).passed is not False]
        for q in qs:
            if self.parts.guards.open_question(q).passed is False:
                flags.append(Flag("closed_question", q))
        leading = self.parts.guards.not_leading(text)
        if leading.passed is False:
            flags.append(Flag("leading", leading.evidence))
        advice = self.parts.guards.no_advice(text)
        if advice.passed is False:
            flags.append(Flag("advice", advice.evidence))
        blame = self.parts.guards.no_blame(text)
        if blame.passed is False:
            flags.append(Flag("blames_others", blame.evidence))
        if len(qs) > 1:
            flags.append(Flag("several_questions", " / ".join(qs)))
        if not qs and t.behavior in (None, Behavior.SOCRATIC):
            flags.append(Flag("no_question", text[:120]))
        cited = [p for p in t.principle_ids if p in self.parts.principles]
        if not cited and qs:
            owner = self.parts.script.question_owner.get(normalize_question(qs[-1]))
            cited = [owner] if owner else [self.parts.retriever.retrieve(qs[-1], k=1)[0].id]
        relevant = None
        if qs and recent:
            # Relevant: it rests on a principle the seller's recent words touched, or it takes
            # up what the seller just said (the question and their message are close in meaning).
            near = {pid for r in recent for pid in r.near}
            vectors = self.parts.encoder.encode([qs[-1], recent[-1].text])
            closeness = float(vectors[0] @ vectors[1])
            relevant = bool(set(cited) & near) or closeness >= RELEVANT_SIMILARITY
            if not relevant:
                flags.append(
                    Flag(
                        "off_thread",
                        f"asks about {', '.join(cited)} while the seller spoke of "
                        f"{', '.join(recent[-1].near)}: {qs[-1]}",
                    )
                )
        lowered = text.lower()
        for pid, names in self.rules.names.items():
            said = next((n for n in names if n in lowered), None)
            if said and pid not in seller_touched:
                flags.append(Flag("telling", f"named {pid!r} ('{said}') before the seller did"))
        socratic = (
            len(qs) == 1
            and len(opens) == 1
            and leading.passed is not False
            and advice.passed is not False
            and not coached_through
        )
        if coached_through and relevant is not None:
            relevant = False  # on a principle or not, it was the wrong thing to ask
        return TurnReview(
            seq=t.seq,
            role="coach",
            text=text,
            principles=cited,
            flags=flags,
            questions=len(qs),
            open_questions=len(opens),
            socratic=socratic if t.behavior in (None, Behavior.SOCRATIC) else None,
            relevant=relevant,
        )

    def _scorecard(self, turns: Sequence[TurnReview]) -> Scorecard:
        coach = [t for t in turns if t.role == "coach" and t.socratic is not None]
        seller = [t for t in turns if t.role == "seller"]
        rated = [t for t in coach if t.relevant is not None]
        fidelity = sum(bool(t.relevant) for t in rated) / len(rated) if rated else None
        quality = sum(bool(t.socratic) for t in coach) / len(coach) if coach else None
        series = [t.ownership - t.blame for t in seller]
        half = len(series) // 2
        trend = None
        if len(series) >= 2:
            first, second = series[: max(half, 1)], series[max(half, 1) :]
            trend = round(sum(second) / len(second) - sum(first) / len(first), 2)
        any_blame = any(t.blame for t in seller)
        explored: list[str] = []
        for t in turns:
            for pid in t.principles:
                if pid not in explored:
                    explored.append(pid)
        telling = sum(1 for t in coach for f in t.flags if f.name == "telling")
        return Scorecard(
            principle_fidelity=None if fidelity is None else round(fidelity, 2),
            socratic_quality=None if quality is None else round(quality, 2),
            blame_to_ownership=BlameShift(
                trend=trend,
                direction=(
                    None
                    if trend is None
                    else "no blame language"
                    if not any_blame
                    else "toward ownership"
                    if trend > 0
                    else "toward blame"
                    if trend < 0
                    else "steady"
                ),
                per_seller_turn=tuple(series),
            ),
            coach_turns=len(coach),
            questions_per_coach_turn=(
                round(sum(t.questions for t in coach) / len(coach), 2) if coach else None
            ),
            telling=telling,
            crisis=any(f.name == "crisis" for t in seller for f in t.flags),
            coached_through_crisis=tuple(
                t.seq for t in turns for f in t.flags if f.name == "coached_through_crisis"
            ),
            explored=tuple(explored),
            never_explored=tuple(p for p in self.parts.principles.ids if p not in explored),
        )

    def _suggestions(self, transcript: Transcript, unexplored: Sequence[str]) -> list[Suggestion]:
        """Two or three next questions: curated questions for the unexplored principles that
        the seller's own words come closest to."""
        seller_text = " ".join(t.text for t in transcript.turns if t.role == "user")
        if not seller_text.strip() or not unexplored:
            return []
        every = len(self.parts.principles.ids)
        ranked = [h.id for h in self.parts.retriever.retrieve(seller_text, k=every)]
        out = []
        for pid in [p for p in ranked if p in unexplored][:3]:
            p = self.parts.principles.get(pid)
            q = p.questions_for("explore")[0]
            out.append(Suggestion(pid, p.title, q.text))
        return out


def to_markdown(review: Review, principles: PrincipleSet) -> str:
    s = review.scorecard
    trend = s.blame_to_ownership
    title = for_markdown(str(review.session.title or "transcript"))

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0%}"

    lines = [
        f"# Review: {title}",
        "",
        "## Scorecard",
        "",
        "| measure | value |",
        "| --- | --- |",
        "| Principle fidelity (questions on what the seller raised) | "
        f"{pct(s.principle_fidelity)} |",
        "| Socratic quality (one open, non-leading question, no advice) | "
        f"{pct(s.socratic_quality)} |",
        f"| Blame to ownership | {trend.direction or 'n/a'} ({trend.trend}) |",
        f"| Questions per coach turn | {s.questions_per_coach_turn} |",
        f"| Principles named before the seller raised them | {s.telling} |",
        "",
        "Explored: " + (", ".join(principles.get(p).title for p in s.explored) or "none"),
        "",
        "Never explored: "
        + (", ".join(principles.get(p).title for p in s.never_explored) or "none"),
        "",
    ]
    if s.crisis:
        lines += ["**The seller used crisis language in this session: check on them first.**", ""]
    for seq in s.coached_through_crisis:
        turn = next(t for t in review.turns if t.seq == seq)
        said = for_markdown(turn.text)
        lines += [f"**The coach coached through it at turn {seq}:** \u201c{said}\u201d", ""]
    lines += ["## Turn by turn", ""]
    for t in review.turns:
        who = "Seller" if t.role == "seller" else "Coach"
        lines.append(f"**{t.seq}. {who}:** {for_markdown(t.text)}")
        if t.principles:
            lines.append(f"- principles: {', '.join(t.principles)}")
        for f in t.flags:
            lines.append(f"- {f.name.replace('_', ' ')}: \u201c{for_markdown(f.evidence)}\u201d")
        lines.append("")
    if review.suggestions:
        lines += ["## Suggested next questions", ""]
        lines += [f"- *{q.title}*: {for_markdown(q.question)}" for q in review.suggestions]
        lines.append("")
    if review.narrative:
        lines += [
            "## Narrative (written by a language model; the numbers above are not)",
            "",
            review.narrative,
            "",
        ]
    return "\n".join(lines)


def _matches(patterns: Sequence[re.Pattern[str]], text: str) -> list[str]:
    out = []
    for p in patterns:
        for m in p.finditer(text):
            if m.group(0) not in out:
                out.append(m.group(0))
    return out
