"""The session so far, as the transcript tells it: what was asked and explored, where the
thread is, and whether the seller was ever at risk.

Nothing about a session is kept between turns: each turn reads it again from the messages it is
given, so a plain transcript (no ids, no behaviours, as `coach reply` may receive) reads the
same as one the app recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from coach.behavior import CARE, Behavior
from coach.parts import CoachParts
from coach.reflect.scripted import CoachingScript
from coach.safety import Verdict
from coach.text import normalize_question, one_line, questions
from coach.turns import Turn

_CHECK_IN_TEXT = re.compile(
    r"\b(suicide|ending your life|end your life|kill yourself|hurting yourself)\b[^?]*\?", re.I
)


@dataclass
class SessionView:
    """What the transcript says about the session so far."""

    crisis: bool  # acute risk at some point: the rest of the session is support, not coaching
    asked: set[str]
    explored: list[str]
    last_focus: str | None
    coaching_turns: int
    seller_turns: int
    check_in_open: bool = False  # the coach asked plainly about suicide and awaits the answer
    # Check-in replies in a row at the end: the question is not asked a third time.
    check_ins: int = 0
    crisis_replies: int = 0  # so that follow-ups take turns rather than repeat
    danger_now: bool = False  # the coach has answered danger happening now in this session
    private: frozenset[int] = frozenset()  # seller turns (by index) never quoted in a summary

    @property
    def in_conversation(self) -> bool:
        return self.coaching_turns > 0


def read_session(parts: CoachParts, messages: Sequence[Turn]) -> SessionView:
    asked: set[str] = set()
    explored: list[str] = []
    last_focus = None
    coaching_turns = 0
    crisis = check_in_open = danger_now = False
    check_ins = crisis_replies = 0
    urgent_texts = parts.safety.rules.danger_now_replies
    private: set[int] = set()
    for n, m in enumerate(messages):
        if m.role == "assistant":
            behavior = m.behavior or _care_by_text(parts, m.text)
            if behavior == Behavior.CRISIS:
                crisis = True
                crisis_replies += 1
                danger_now = danger_now or one_line(m.text) in urgent_texts
            check_in_open = behavior == Behavior.CHECK_IN
            check_ins = check_ins + 1 if check_in_open else 0
            for q in questions(m.text):
                asked.add(normalize_question(q))
            ids = list(m.principle_ids)
            if not ids and behavior in (None, Behavior.SOCRATIC):
                ids = _infer_principles(parts, m.text)
            ids = [pid for pid in ids if pid in parts.principles]
            if ids and behavior in (None, Behavior.SOCRATIC):
                coaching_turns += 1
                last_focus = ids[0]
                for pid in ids:
                    if pid not in explored:
                        explored.append(pid)
            continue
        if check_in_open:
            private.add(n)  # the answer to "are you thinking about suicide?"
            continue
        if _answered_with_behavior(messages, n):
            if messages[n + 1].behavior in CARE:
                private.add(n)
            continue
        # A plain transcript does not say how earlier turns were answered: triage them.
        verdict = parts.safety.triage(m.text).verdict
        if verdict.risk:
            private.add(n)
            crisis = crisis or verdict is Verdict.CRISIS
    return SessionView(
        crisis=crisis,
        asked=asked,
        explored=explored,
        last_focus=last_focus,
        coaching_turns=coaching_turns,
        seller_turns=sum(1 for m in messages if m.role == "user"),
        check_in_open=check_in_open,
        check_ins=check_ins,
        crisis_replies=crisis_replies,
        danger_now=danger_now,
        private=frozenset(private),
    )


def curated_owners(script: CoachingScript, qs: Sequence[str]) -> list[str]:
    """The principles whose curated questions these are (the coach's own earlier turns)."""
    return [owner for q in qs if (owner := script.question_owner.get(normalize_question(q)))]


def _care_by_text(parts: CoachParts, text: str) -> Behavior | None:
    """A plain transcript's care replies, recognised by the coach's own words, or a
    check-in by its plain question about suicide."""
    rules = parts.safety.rules
    said = one_line(text)
    care = (rules.crisis_reply, rules.check_in_disclosed, *rules.crisis_follow_ups)
    if said in care or said in rules.danger_now_replies:
        return Behavior.CRISIS
    if said in rules.check_in_held or _CHECK_IN_TEXT.search(text):
        return Behavior.CHECK_IN
    return None


def _infer_principles(parts: CoachParts, coach_text: str) -> list[str]:
    """The principle an earlier coach question was about, for transcripts that do not say:
    a curated question is recognised by its text, any other by retrieval."""
    qs = questions(coach_text)
    owners = curated_owners(parts.script, qs)
    if owners or not qs:
        return owners
    return [parts.retriever.retrieve(qs[-1], k=1)[0].id]


def _answered_with_behavior(messages: Sequence[Turn], n: int) -> bool:
    """Whether the user message at n was answered by an assistant turn that records how."""
    nxt = messages[n + 1] if n + 1 < len(messages) else None
    return nxt is not None and nxt.role == "assistant" and nxt.behavior is not None
