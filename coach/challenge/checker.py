"""The checks on a challenge draft, any draft (the composer's, a model's, one the manager wrote):
no blame, the author going first, an open closing question, the channel's length, and the
principles it touches and misses."""

from __future__ import annotations

import re
from collections.abc import Sequence

from coach.challenge.options import Channel
from coach.challenge.request import ChallengeInputError
from coach.challenge.results import DraftReport, Finding, PrincipleMatch
from coach.challenge.script import ChallengeScript
from coach.limits import Limits
from coach.parts import CoachParts
from coach.text import is_question, reply_sentences


class DraftChecker:
    def __init__(self, parts: CoachParts, script: ChallengeScript, limits: Limits) -> None:
        self.parts = parts
        self.script = script
        self.limits = limits

    def check(
        self, text: str, channel: Channel = "slack", declared: Sequence[str] = ()
    ) -> DraftReport:
        """Blame, going first, the closing question, length, principles touched and missed."""
        body = message_body(self.limits.message(text, "The draft"))
        if not body.strip():
            raise ChallengeInputError("The draft is empty: paste the message you want checked.")
        sents = [s for s in reply_sentences(body.replace("\n", " ")) if s.strip()]
        findings = []
        blamed = [s for s in sents if self.blames(s)]
        findings.append(
            Finding(
                "no_blame",
                not blamed,
                (
                    f"names a person or team as the cause in {len(blamed)} sentence(s)"
                    if blamed
                    else "no one is blamed"
                ),
                blamed[0] if blamed else "",
            )
        )
        first = [s for s in sents if any(p.search(s) for p in self.script.go_first)]
        findings.append(
            Finding(
                "author_goes_first",
                bool(first),
                "the author commits to going first"
                if first
                else "the author does not say what they will do first",
                first[0] if first else "",
            )
        )
        last = sents[-1] if sents else ""
        # Unlike the guards, the challenge never counted a closing bracket: "...this week?]" is
        # not a question here.
        asking = is_question(last, closers="\"”’')")
        open_q = self.parts.guards.open_question(last).passed if asking else False
        findings.append(
            Finding(
                "ends_with_question",
                bool(asking and open_q),
                "ends with an open question"
                if asking and open_q
                else ("ends with a yes/no question" if asking else "does not end with a question"),
                last,
            )
        )
        n = word_count(body)
        spec = self.script.spec.channels[channel]
        findings.append(
            Finding(
                "length",
                spec.min_words <= n <= spec.max_words,
                f"{n} words; {channel} fits {spec.min_words} to {spec.max_words}",
            )
        )
        touched = self._touched(sents)
        findings.append(
            Finding(
                "cites_principle",
                bool(touched) and (not declared or bool(set(declared) & {t.id for t in touched})),
                f"touches {len(touched)} principle(s)" if touched else "touches no principle",
                touched[0].sentence if touched else "",
            )
        )
        seen = {t.id for t in touched}
        missed = tuple(pid for pid in self.parts.principles.ids if pid not in seen)
        return DraftReport(tuple(findings), tuple(touched), missed, n)

    def blames(self, sentence: str) -> bool:
        """A person or team named as the cause: the file's patterns or the reply guard's."""
        return (
            any(p.search(sentence) for p in self.script.blame)
            or not self.parts.guards.no_blame(sentence).passed
        )

    def _touched(self, sents: Sequence[str]) -> list[PrincipleMatch]:
        best: dict[str, PrincipleMatch] = {}
        for s in sents:
            if len(s.split()) < 4:
                continue
            for h in self.parts.retriever.retrieve(s, k=2):
                if h.score < self.parts.retriever.relevance_threshold:
                    continue
                if h.id not in best or h.score > best[h.id].score:
                    p = self.parts.principles.get(h.id)
                    best[h.id] = PrincipleMatch(h.id, p.title, p.source_quote, s, h.score)
        return sorted(best.values(), key=lambda m: m.score, reverse=True)


def message_body(text: str) -> str:
    """The message without an email's subject line, greeting and sign-off."""
    lines = text.strip().splitlines()
    if lines and lines[0].lower().startswith("subject:"):
        lines = lines[1:]
    kept = [
        line
        for line in lines
        if not re.match(r"^\s*(hi|hello|hey|dear)\b[^.!?]{0,30}[,:]?\s*$", line, re.IGNORECASE)
        and not re.match(
            r"^\s*(thanks|thank you|best|cheers|regards|best regards)[,!.]?\s*$",
            line,
            re.IGNORECASE,
        )
    ]
    return "\n".join(kept).strip()


def word_count(text: str) -> int:
    """The message's length in words, as the length check counts it."""
    return len(message_body(text).split())
