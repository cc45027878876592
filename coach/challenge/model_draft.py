"""A challenge draft written by the tier's model (prompts/challenge_draft.md) and held to the
same checks as the composed one: a draft that fails gets one retry naming what failed
(prompts/challenge_retry.md); after that, or when the model fails, the composed draft follows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coach.challenge.checker import DraftChecker
from coach.challenge.request import ChallengeRequest
from coach.challenge.results import DraftReport
from coach.challenge.script import ChannelSpec
from coach.llm import split_citations
from coach.parts import CoachParts


@dataclass(frozen=True)
class ModelDraft:
    """What the model's attempts came to: a draft that passed the checks, or why none did."""

    model_passed: bool | None  # the first attempt passed the checks; None: none was checked
    draft: str = ""
    principle_ids: tuple[str, ...] = ()  # the principles it declares, of those it was given
    report: DraftReport | None = None  # None: no draft passed, the composed one follows
    notice: str | None = None  # why the composed draft follows


def write_with_model(
    parts: CoachParts,
    checker: DraftChecker,
    request: ChallengeRequest,
    ids: Sequence[str],
    spec: ChannelSpec,
    mirror: str,
    revision: str | None,
) -> ModelDraft:
    """The model's draft on the principles `ids`, for the request's channel (`spec`)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    assert parts.chat.model is not None
    words = request.words or spec.default_words
    prompt = parts.prompts.render(
        "challenge_draft",
        situation=request.situation,
        channel=request.channel,
        words=str(words),
        min_words=str(spec.min_words),
        max_words=str(spec.max_words),
        tone=request.tone,
        commitment=request.commitment or "(none given)",
        principles="\n".join(f'- {pid}: "{parts.principles.get(pid).source_quote}"' for pid in ids),
        mirror=mirror,
        revision=revision or "(first draft)",
    )
    messages: list[Any] = [
        SystemMessage(parts.prompts.render("challenge_system")),
        HumanMessage(prompt),
    ]
    model_passed: bool | None = None
    try:
        for attempt in range(2):
            raw = str(parts.chat.model.invoke(messages).content)
            draft, declared = split_citations(raw)
            declared = [d for d in declared if d in ids]
            report = checker.check(draft, request.channel, declared) if draft else None
            ok = report is not None and report.passed and bool(declared)
            if attempt == 0:
                model_passed = ok
            if ok and report is not None:
                return ModelDraft(model_passed, draft, tuple(declared), report)
            failed = [f.name for f in report.findings if not f.passed] if report else ["empty"]
            if not declared:
                failed.append("no PRINCIPLES line")
            retry = parts.prompts.render(
                "challenge_retry",
                failures=", ".join(failed),
                min_words=str(spec.min_words),
                max_words=str(spec.max_words),
                mirror=mirror,
            )
            # The file ends with a line break; the message it replaces never did.
            messages.append(HumanMessage(retry.rstrip("\n")))
        notice = "The model's draft did not pass the checks, so the composed draft follows."
    except Exception as exc:  # the manager still gets a draft
        notice = (
            f"The model could not write the draft ({type(exc).__name__}); "
            "the composed draft follows."
        )
    return ModelDraft(model_passed, notice=notice)
