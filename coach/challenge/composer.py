"""The scripted composer: a challenge message from the principles that fit the team's situation
and the manager's own words (the facts worth quoting, what they will do first), in the words of
data/challenge.yaml, the longest version that fits the channel's length."""

from __future__ import annotations

import re
from collections.abc import Sequence

from coach.challenge.checker import DraftChecker, word_count
from coach.challenge.request import ChallengeRequest
from coach.challenge.script import ChallengeScript
from coach.principles import PrincipleSet
from coach.text import first_sentence, one_line


class DraftComposer:
    def __init__(
        self, script: ChallengeScript, principles: PrincipleSet, checker: DraftChecker
    ) -> None:
        self.script = script
        self.principles = principles
        self.checker = checker  # its blame test keeps blame out of the quoted facts

    def compose(self, request: ChallengeRequest, ids: Sequence[str]) -> str:
        """The scripted draft: facts, topic, the turn to leadership, principles, the manager
        going first, the mirror question; the longest version that fits the target length."""
        spec = self.script.spec
        target = request.words or spec.channels[request.channel].default_words
        tone = request.tone
        facts = self._facts(request.situation)
        opening = spec.openings[tone]
        commitment = (request.commitment or "").strip().rstrip(".")
        # The manager's own commitment says "go first" better than the generic line does.
        body_ids = [pid for pid in ids if not (commitment and pid == "go-first")] or list(ids)
        lines_full = [getattr(spec.principles[pid], tone) for pid in body_ids]
        lines_short = [spec.principles[pid].short for pid in body_ids]
        meaning = first_sentence(one_line(self.principles.get(ids[0]).meaning))
        first = (
            spec.go_first["given"].format(commitment=_lower_first(commitment))
            if commitment
            else spec.go_first["missing"]
        )
        sacrifice = (request.sacrifice or "").strip().rstrip(".")
        if sacrifice:
            first += f" And I'll {_lower_first(_strip_i_will(sacrifice))}."
        closing = spec.closings[tone].format(mirror=spec.mirror)

        def version(full: bool, turn: bool, elaborate: bool, invite: bool, n: int) -> list[str]:
            parts = []
            if facts:
                parts.append(opening.facts.format(facts=facts))
            topic = opening.topic.format(topic=spec.principles[ids[0]].situation)
            parts.append(f"{topic} {meaning}" if elaborate else topic)
            if turn:
                parts.append(spec.turn[tone])
            parts.append(" ".join((lines_full if full else lines_short)[:n]))
            parts.append(first)
            if invite:
                parts.append(spec.invitation[request.channel])
            parts.append(closing)
            if request.channel == "email":
                parts[0] = _without_salutation(parts[0])
            return parts

        versions = [
            version(True, True, True, True, 3),
            version(True, True, True, False, 3),
            version(True, True, False, False, 3),
            version(True, False, False, False, 3),
            version(True, False, False, False, 2),
            version(False, False, False, False, 2),
            version(False, False, False, False, 1),
        ]
        floor = spec.channels[request.channel].min_words
        fitting = [v for v in versions if floor <= word_count(" ".join(v)) <= target * 1.15]
        long_enough = [v for v in versions if word_count(" ".join(v)) >= floor]
        # The longest version that fits the target; if none does, the shortest the channel
        # still accepts (an email under 90 words reads as a note, not a challenge).
        chosen = fitting[0] if fitting else (long_enough[-1] if long_enough else versions[0])
        if request.channel == "email":
            e = spec.email
            return "\n\n".join([f"Subject: {e.subject}", e.greeting, *chosen, e.sign_off])
        return "\n\n".join(chosen)

    def _facts(self, situation: str) -> str:
        """The manager's own words that can be quoted: results, numbers, mood; no judgements
        of people and nothing about the message itself."""
        clauses = [
            c.strip(" .;:,!")
            for c in re.split(r"(?<=[.!?;])\s+|,\s+|\s+-\s+|\s+but\s+", situation)
            if c.strip()
        ]
        keep = [
            c
            for c in clauses
            if any(p.search(c) for p in self.script.facts)
            and not any(p.search(c) for p in self.script.never_quote)
            and not self.checker.blames(c)
            and len(c.split()) <= 14
        ]
        return "; ".join(_we(c) for c in keep[:2] if len(c.split()) >= 3)


def _lower_first(text: str) -> str:
    """Lowercase a sentence's first letter for use mid-sentence, but not "B2B" or "Q3"."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and first[1:].isalpha():
        return text[0].lower() + text[1:]
    return text


def _we(clause: str) -> str:
    """The manager's "team missed Q3" as the message's "we missed Q3"."""
    clause = re.sub(
        r"^(the |my |our )?(whole )?(team|reps|aes|sellers|group|crew)\b\s*",
        "we ",
        clause,
        flags=re.IGNORECASE,
    )
    return _lower_first(clause)


def _without_salutation(text: str) -> str:
    """An email already says "Hi team," so the first line drops its own "Team, "."""
    stripped = re.sub(r"^(team|straight talk, team)[,:]\s*", "", text, flags=re.IGNORECASE)
    return stripped[:1].upper() + stripped[1:] if stripped != text else text


def _strip_i_will(text: str) -> str:
    return re.sub(r"^\s*(i will|i'll|i am going to|i'm going to)\s+", "", text, flags=re.IGNORECASE)
