"""Managers: the Pivot to Leadership challenge for their team, drafted and checked.

The scripted composer writes the draft from the principles that fit the team's situation and
from the manager's own words (their facts and their commitment); an LLM tier writes it with
prompts/challenge_draft.md and is held to the same checks, falling back to the composed draft.
`check_draft` runs those checks on any draft, including one the manager wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from coach.challenge.checker import DraftChecker, word_count
from coach.challenge.options import Channel
from coach.challenge.request import ChallengeInputError, ChallengeRequest, validated
from coach.challenge.results import DraftReport, DraftResult
from coach.challenge.script import ChallengeScript, ChannelSpec
from coach.limits import Limits
from coach.llm import split_citations
from coach.parts import CoachParts
from coach.text import first_sentence, one_line


class ChallengeEngine:
    def __init__(
        self,
        parts: CoachParts,
        script: ChallengeScript,
        *,
        limits: Limits | None = None,
        k: int = 3,
    ) -> None:
        self.limits = limits or Limits()
        self.parts = parts
        self.script = script  # the manager's composer and draft checks, not the seller's
        self.k = k  # principles a draft may rest on
        self.checker = DraftChecker(parts, script, self.limits)

    @property
    def channels(self) -> Mapping[Channel, ChannelSpec]:
        """The channels a draft can be written for, with their lengths in words."""
        return self.script.spec.channels

    @property
    def mirror(self) -> str:
        """The question every challenge closes with."""
        return self.script.spec.mirror

    # -- before drafting ------------------------------------------------------------------------

    def questions(self) -> list[tuple[str, str]]:
        """Up to two short questions to ask the manager first (each can be skipped)."""
        return [(q.id, q.text) for q in self.script.spec.questions]

    # -- drafting -------------------------------------------------------------------------------

    def draft(self, request: ChallengeRequest, revision: str | None = None) -> DraftResult:
        start = self.parts.clock()
        request = validated(request, self.channels, self.limits)
        ids = self._principles_for(request)
        composed = self.compose(request, ids)
        if self.parts.chat.model is None:
            return self._composed(request, ids, composed, start)
        return self._with_model(request, ids, composed, revision, start)

    def _composed(
        self,
        request: ChallengeRequest,
        ids: Sequence[str],
        composed: str,
        start: float,
        **model: Any,
    ) -> DraftResult:
        """The composed draft as a result, checked like any other."""
        return DraftResult(
            composed,
            tuple(ids),
            self.check_draft(composed, request.channel),
            self.parts.chat.tier,
            self.parts.chat.model_name,
            self._ms(start),
            request=request,
            **model,
        )

    def revise(self, previous: DraftResult, instruction: str) -> DraftResult:
        """ "shorter", "warmer", "more direct", "as an email"... or free text (LLM tiers)."""
        if previous.request is None:
            raise ChallengeInputError("There is no draft to revise yet.")
        request = previous.request
        text = instruction.strip().lower()
        if not text:
            raise ChallengeInputError("Say how to revise it, e.g. shorter, warmer, more direct.")
        spec = self.channels[request.channel]
        words = request.words or spec.default_words
        changed = request
        if "shorter" in text or "shorten" in text or "briefer" in text:
            changed = _replace(changed, words=max(spec.min_words, int(words * 0.7)))
        if "longer" in text:
            changed = _replace(changed, words=min(spec.max_words, int(words * 1.3)))
        if "warm" in text or "softer" in text or "friendlier" in text:
            changed = _replace(changed, tone="warm")
        if "direct" in text or "blunter" in text or "firmer" in text:
            changed = _replace(changed, tone="direct")
        if "email" in text:
            changed = _replace(changed, channel="email", words=None)
        if "slack" in text:
            changed = _replace(changed, channel="slack", words=None)
        if self.parts.chat.model is not None:
            return self.draft(changed, revision=instruction)
        result = self.draft(changed)
        if changed == request:
            return _with_notice(
                result,
                "The scripted composer can make a draft shorter, longer, warmer, more direct, "
                "or switch Slack and email; connect a model for free-text edits.",
            )
        return result

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
        meaning = first_sentence(one_line(self.parts.principles.get(ids[0]).meaning))
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

    # -- checking -------------------------------------------------------------------------------

    def check_draft(
        self, text: str, channel: Channel = "slack", declared: Sequence[str] = ()
    ) -> DraftReport:
        """Blame, going first, the closing question, length, principles touched and missed."""
        return self.checker.check(text, channel, declared)

    # -- internals ------------------------------------------------------------------------------

    def _principles_for(self, request: ChallengeRequest) -> list[str]:
        """Two or three principles that fit the situation (the best, and any close to it)."""
        hits = self.parts.retriever.retrieve(request.situation, k=self.k)
        ids = [hits[0].id] + [h.id for h in hits[1:] if h.score >= hits[0].score - 0.05]
        # A challenge is issued by someone going first: when the manager says what they will
        # do, that is go-first, whatever else the situation is about.
        if request.commitment and "go-first" not in ids and len(ids) < 3:
            ids.append("go-first")
        return ids[:3]

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

    def _with_model(
        self,
        request: ChallengeRequest,
        ids: list[str],
        composed: str,
        revision: str | None,
        start: float,
    ) -> DraftResult:
        from langchain_core.messages import HumanMessage, SystemMessage

        assert self.parts.chat.model is not None
        spec = self.channels[request.channel]
        words = request.words or spec.default_words
        prompt = self.parts.prompts.render(
            "challenge_draft",
            situation=request.situation,
            channel=request.channel,
            words=str(words),
            min_words=str(spec.min_words),
            max_words=str(spec.max_words),
            tone=request.tone,
            commitment=request.commitment or "(none given)",
            principles="\n".join(
                f'- {pid}: "{self.parts.principles.get(pid).source_quote}"' for pid in ids
            ),
            mirror=self.mirror,
            revision=revision or "(first draft)",
        )
        messages: list[Any] = [
            SystemMessage(self.parts.prompts.render("challenge_system")),
            HumanMessage(prompt),
        ]
        model_passed: bool | None = None
        try:
            for attempt in range(2):
                raw = str(self.parts.chat.model.invoke(messages).content)
                draft, declared = split_citations(raw)
                declared = [d for d in declared if d in ids]
                report = self.check_draft(draft, request.channel, declared) if draft else None
                ok = report is not None and report.passed and bool(declared)
                if attempt == 0:
                    model_passed = ok
                if ok and report is not None:
                    return DraftResult(
                        draft,
                        tuple(declared),
                        report,
                        self.parts.chat.tier,
                        self.parts.chat.model_name,
                        self._ms(start),
                        model_passed=model_passed,
                        request=request,
                    )
                failed = [f.name for f in report.findings if not f.passed] if report else ["empty"]
                if not declared:
                    failed.append("no PRINCIPLES line")
                retry = self.parts.prompts.render(
                    "challenge_retry",
                    failures=", ".join(failed),
                    min_words=str(spec.min_words),
                    max_words=str(spec.max_words),
                    mirror=self.mirror,
                )
                # The file ends with a line break; the message it replaces never did.
                messages.append(HumanMessage(retry.rstrip("\n")))
            notice = "The model's draft did not pass the checks, so the composed draft follows."
        except Exception as exc:  # the manager still gets a draft
            notice = (
                f"The model could not write the draft ({type(exc).__name__}); "
                "the composed draft follows."
            )
        return self._composed(
            request, ids, composed, start, model_passed=model_passed, fallback=True, notice=notice
        )

    def _ms(self, start: float) -> int:
        return round((self.parts.clock() - start) * 1000)


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


def _replace(request: ChallengeRequest, **changes: Any) -> ChallengeRequest:
    return ChallengeRequest(**{**asdict(request), **changes})


def _with_notice(result: DraftResult, notice: str) -> DraftResult:
    return DraftResult(**{**result.__dict__, "notice": notice})
