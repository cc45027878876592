"""Managers: the Pivot to Leadership challenge for their team, drafted, revised and checked.

`ChallengeEngine` ties the jobs together: it validates the request (`request`), picks the
principles that fit the team's situation, has the scripted composer write the draft
(`composer`) and, on a model tier, the model write it under the same checks (`model_draft`),
falling back to the composed draft; it reads a revision (`revision`) and runs the checks
(`checker`) on any draft, including one the manager wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coach.challenge.checker import DraftChecker
from coach.challenge.composer import DraftComposer
from coach.challenge.model_draft import write_with_model
from coach.challenge.options import Channel
from coach.challenge.request import ChallengeInputError, ChallengeRequest, validated
from coach.challenge.results import DraftReport, DraftResult
from coach.challenge.revision import SCRIPTED_REVISIONS, revised
from coach.challenge.script import ChallengeScript, ChannelSpec
from coach.limits import Limits
from coach.parts import CoachParts


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
        self.composer = DraftComposer(script, parts.principles, self.checker)

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
        changed = revised(request, instruction, self.channels)
        if self.parts.chat.model is not None:
            return self.draft(changed, revision=instruction)
        result = self.draft(changed)
        if changed == request:
            return _with_notice(result, SCRIPTED_REVISIONS)
        return result

    def compose(self, request: ChallengeRequest, ids: Sequence[str]) -> str:
        """The scripted draft on `ids`, the principles it rests on."""
        return self.composer.compose(request, ids)

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

    def _with_model(
        self,
        request: ChallengeRequest,
        ids: list[str],
        composed: str,
        revision: str | None,
        start: float,
    ) -> DraftResult:
        """The model's draft if it passes the checks; otherwise the composed one, saying why."""
        spec = self.channels[request.channel]
        written = write_with_model(
            self.parts, self.checker, request, ids, spec, self.mirror, revision
        )
        if written.report is not None:
            return DraftResult(
                written.draft,
                written.principle_ids,
                written.report,
                self.parts.chat.tier,
                self.parts.chat.model_name,
                self._ms(start),
                model_passed=written.model_passed,
                request=request,
            )
        return self._composed(
            request,
            ids,
            composed,
            start,
            model_passed=written.model_passed,
            fallback=True,
            notice=written.notice,
        )

    def _ms(self, start: float) -> int:
        return round((self.parts.clock() - start) * 1000)


def _with_notice(result: DraftResult, notice: str) -> DraftResult:
    return DraftResult(**{**result.__dict__, "notice": notice})
