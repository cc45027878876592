"""Coaches: a per-turn review of a reflection transcript, a scorecard, and next questions.

Deterministic checks decide every number (the coach-side checks are the reply guards, shared
with the live coach and the evals); an LLM tier may add a short narrative, never the numbers.
Text inside a transcript is data: it is matched and quoted, never obeyed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from coach.behavior import Behavior
from coach.guards import ReplyContext
from coach.parts import CoachParts
from coach.review.rules import ReviewRules
from coach.review.scorecard import (
    BlameShift,
    Flag,
    Review,
    ReviewedSession,
    Scorecard,
    Suggestion,
    TurnReview,
)
from coach.text import normalize_question, questions
from coach.transcripts import Transcript
from coach.turns import Turn

RELEVANT_SIMILARITY = 0.35


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


def _matches(patterns: Sequence[re.Pattern[str]], text: str) -> list[str]:
    out = []
    for p in patterns:
        for m in p.finditer(text):
            if m.group(0) not in out:
                out.append(m.group(0))
    return out
