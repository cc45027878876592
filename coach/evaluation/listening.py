"""Listening evals: does the coach take up what the seller just said?

The form checks (one open question, no advice, no blame) pass on a coach that does not listen.
These metrics read a session the way a seller feels it, turn by turn:

- `takes_up`: the question names the substance of the message it answers (all the words of
  one of the items a responsive question would take up, as labelled by the set's author);
- `takes_up_part`: the same with half of an item's words: one set's author wrote items of 1.6
  content words on average, another of 2.8 ("6 months of work"), and the strict figure fell
  from 0.50 to 0.16 between them with the same coach;
- `parroting`: the reply repeats six or more consecutive words of the seller's message;
- `move_fits`: the coach's reply does what the message asks for (acknowledges a feeling, stays
  with an insight, makes a commitment concrete, ...), read from the reply's text;
- `feeling_acknowledged`: on a message with a feeling, the reply's first sentence names one;
- `commitment_carried`: the seller's last commitment appears whole in the wrap-up;
- `thread_kept`: on a message that continues the thread (an insight, a commitment, a short
  answer), the turn's principle is the one the previous turn explored.

The sessions are scripted: the seller's turns are fixed, whatever the coach asked. A session file
holds one JSON object per line: `id`, `seller_turns` [{`text`, `move`, `substance` [..],
`feelings` [..], `commitment`}].
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.behavior import Behavior
from coach.datafiles import read_jsonl
from coach.reflect import Coach, ReflectionSession, TurnResult
from coach.text import first_sentence, questions

PARROT_WORDS = 6
PART = 0.5  # takes_up_part: this share of an item's content words
CONTINUING = ("insight", "commitment", "vague")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    "a an the and or but of to in on at for with my our their his her its i me we you your "
    "they them he she it is are was were be been this that these those so just like really "
    "very some any all about from by as up out".split()
)

# What each kind of message asks of the reply, read from the reply's own words. A reply that
# reflects a feeling names it; one that stays with an insight or a commitment speaks of it.
_FEELING_WORDS = re.compile(
    r"\b(tired|exhaust\w*|drain\w*|worn|frustrat\w*|angry|anger|annoy\w*|fed up|stung|hurt|"
    r"sad|disappoint\w*|discourag\w*|anxious|anxiety|worr\w*|nervous|scared|afraid|fear\w*|"
    r"overwhelm\w*|stress\w*|pressure|heavy|weigh\w*|proud|pride|glad|happy|reliev\w*|"
    r"excit\w*|hope\w*|guilt\w*|ashamed|shame|embarrass\w*|lonely|alone|confus\w*|stuck|"
    r"numb|burn\w* out|burnout|flat|low|down|upset|resent\w*|jealous\w*|envy|grateful|"
    r"satisf\w*|pleased|thrill\w*|uneasy|unsettl\w*|doubt\w*|insecur\w*|lost|bitter|"
    r"hopeless|defeat\w*|relief|energ\w*|feel\w*|felt|sounds? like a lot|hard)\b",
    re.IGNORECASE,
)
_MOVE_CUES: dict[str, re.Pattern[str]] = {
    "feeling": _FEELING_WORDS,
    "commitment": re.compile(
        r"\b(when|who|what might get in the way|get in the way|first step|by when|which day|"
        r"how will you|what will|keep it|stick|follow through|make (it|that) happen)\b",
        re.IGNORECASE,
    ),
    "insight": re.compile(
        r"\b(notic\w*|see(ing)?|realis\w*|realiz\w*|pattern|where else|what does that tell|"
        r"what do you make|that insight|that shows|you've spotted|spotted|looking back)\b",
        re.IGNORECASE,
    ),
    "blame": re.compile(
        r"\b(your (own )?part|yours to|you could (have )?(shape|influence|change)|in your hands|"
        r"within your|your side|what did you|what could you|you control|your control)\b",
        re.IGNORECASE,
    ),
    "own_part": re.compile(
        r"\b(differently|next time|again|own(ing)? (it|that|your)|your part|you'd|would you)\b",
        re.IGNORECASE,
    ),
    "pushback": re.compile(
        r"\b(worth (your|the) time|worth it|useful|fair|not (sure|convinced)|what would make|"
        r"skip|your call|up to you)\b",
        re.IGNORECASE,
    ),
    "question": re.compile(
        r"\b(what do you think|your (own )?(instinct|read|sense|view)|you know (this|them|the)|"
        r"what would you|lens|what have you (tried|considered))\b",
        re.IGNORECASE,
    ),
    "vague": re.compile(r"\?"),  # any smaller question on the thread
    "story": re.compile(r"\?"),
    "win": re.compile(
        r"\b(win|proud|congrat\w*|well done|great|made (it|that) (happen|work)|what made|"
        r"what did you do|credit|earned)\b",
        re.IGNORECASE,
    ),
}


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def _stem(word: str) -> str:
    """Enough of a word to match its forms: "deal" and "deals", "forecast" and "forecasting"."""
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    return word[:5]


def takes_up(question: str, substance: Sequence[str], share: float = 1.0) -> bool:
    """True when the question names one of the substance items: all of an item's content
    words appear in the question (compared on their first five letters, a plural's "s"
    dropped, so "deals" and "deal" match). With `share` below 1, that share of them (rounded
    up) is enough, one of them a word rather than a number: "the payroll integration" takes
    up "the payroll integration back in march"."""
    asked = {_stem(w) for w in words(question)}
    for item in substance:
        content = [_stem(w) for w in words(item) if w not in _STOP] or [
            _stem(w) for w in words(item)
        ]
        hits = [c for c in content if c in asked]
        if (
            content
            and len(hits) >= math.ceil(share * len(content))
            and (share >= 1.0 or any(c.isalpha() for c in hits))
        ):
            return True
    return False


def longest_run(reply: str, seller: str) -> int:
    """The longest run of consecutive words the reply shares with the seller's message."""
    a, b = words(reply), words(seller)
    if not a or not b:
        return 0
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def move_fits(reply: str, move: str) -> bool:
    cue = _MOVE_CUES.get(move)
    return bool(cue and cue.search(reply))


def _norm(text: str) -> str:
    return " ".join(words(text))


@dataclass
class TurnScore:
    session: str
    turn: int
    move: str
    seller: str
    reply: str
    behavior: str
    principle: str | None
    takes_up: bool | None  # None: nothing to take up (a short answer)
    takes_up_part: bool | None  # half of an item's words: labellers write items of any length
    parrot_run: int
    move_fits: bool | None
    feeling_acknowledged: bool | None
    thread_kept: bool | None


@dataclass
class ListeningReport:
    turns: list[TurnScore] = field(default_factory=list)
    wrap_ups: list[dict[str, Any]] = field(default_factory=list)

    def figures(self) -> dict[str, tuple[int, int]]:
        """metric -> (passed, counted)."""

        def count(values: Sequence[bool | None]) -> tuple[int, int]:
            known = [v for v in values if v is not None]
            return sum(known), len(known)

        coached = [t for t in self.turns if t.behavior == Behavior.SOCRATIC]
        return {
            "takes_up": count([t.takes_up for t in coached]),
            "takes_up_part": count([t.takes_up_part for t in coached]),
            "parroting": count([t.parrot_run >= PARROT_WORDS for t in coached]),
            "move_fits": count([t.move_fits for t in coached]),
            "feeling_acknowledged": count([t.feeling_acknowledged for t in coached]),
            "commitment_carried": count([w["carried"] for w in self.wrap_ups]),
            "thread_kept": count([t.thread_kept for t in coached]),
            "coached": (len(coached), len(self.turns)),
        }

    def markdown(self, title: str) -> str:
        rows = [f"## Listening: {title}", "", "| metric | value | n |", "| --- | --- | --- |"]
        for name, (k, n) in self.figures().items():
            value = f"{k / n:.3f}" if n else "n/a"
            rows.append(f"| listening.{name} | {value} ({k}/{n}) | {n} |")
        return "\n".join(rows) + "\n"


def load_sessions(path: Path) -> list[dict[str, Any]]:
    return list(read_jsonl(path, "Listening sessions file"))


def run_listening(coach: Coach, sessions: Sequence[dict[str, Any]]) -> ListeningReport:
    report = ListeningReport()
    for session in sessions:
        reflection = ReflectionSession(coach)  # as the app runs one, without a store
        previous_focus: str | None = None
        last_commitment: str | None = None
        for n, turn in enumerate(session["seller_turns"]):
            result = reflection.respond(turn["text"])
            report.turns.append(_score(session["id"], n, turn, result, previous_focus))
            if result.behavior == Behavior.SOCRATIC:
                previous_focus = result.focus_principle
            if turn.get("commitment"):
                last_commitment = turn["commitment"]
            if result.behavior == Behavior.WRAP_UP:
                break
        wrap = reflection.wrap_up()
        if last_commitment:
            report.wrap_ups.append(
                {
                    "session": session["id"],
                    "commitment": last_commitment,
                    "wrap_up": wrap.reply,
                    "carried": _norm(last_commitment) in _norm(wrap.reply),
                }
            )
    return report


def _score(
    session: str, n: int, turn: dict[str, Any], result: TurnResult, previous: str | None
) -> TurnScore:
    reply = result.reply
    qs = questions(reply)
    question = qs[-1] if qs else ""
    move = turn["move"]
    substance = turn.get("substance") or []
    coached = result.behavior == Behavior.SOCRATIC
    return TurnScore(
        session=session,
        turn=n,
        move=move,
        seller=turn["text"],
        reply=reply,
        behavior=result.behavior.value,
        principle=result.focus_principle,
        takes_up=takes_up(question, substance) if substance and coached else None,
        takes_up_part=takes_up(question, substance, PART) if substance and coached else None,
        parrot_run=longest_run(reply, turn["text"]),
        move_fits=move_fits(reply, move) if coached else None,
        feeling_acknowledged=(
            bool(_FEELING_WORDS.search(first_sentence(reply)))
            if coached and turn.get("feelings")
            else None
        ),
        thread_kept=(
            result.focus_principle == previous
            if coached and previous is not None and move in CONTINUING
            else None
        ),
    )


def write_cases(report: ListeningReport, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for t in report.turns:
            out.write(json.dumps(t.__dict__, ensure_ascii=False) + "\n")
        for w in report.wrap_ups:
            out.write(json.dumps(w, ensure_ascii=False) + "\n")
