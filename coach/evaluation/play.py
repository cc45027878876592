"""Playing one case on the coach and scoring it: a turn (live, or from a recorded reply), a
challenge, a simulated seller's session. Each returns the case's CaseResult with its checks."""

from __future__ import annotations

from typing import Any

from coach.behavior import Behavior
from coach.cases import Case
from coach.challenge import CHANNELS, TONES, ChallengeEngine, ChallengeRequest
from coach.evaluation.scoring import CaseResult, classify, score_turn
from coach.guards import Guards
from coach.reflect import Coach, ReflectionSession
from coach.retrieval import PrincipleRetriever
from coach.text import normalize_question, questions


def play_turn(case: Case, coach: Coach, guards: Guards, tier: str, sample: int) -> CaseResult:
    """A turn case, answered by the coach as it stands."""
    r = coach.respond(case.turns)
    result = CaseResult(
        tier=tier,
        sample=sample,
        id=case.id,
        category=case.category,
        expected=case.expected_behavior,
        behavior=r.behavior,
        reply=r.reply,
        principle_ids=list(r.principle_ids),
        retrieved=list(r.retrieved),
        gold=list(case.gold_principles),
        latency_ms=r.latency_ms,
        model_passed=r.guard.model_passed,
        fallback=r.guard.fallback,
    )
    first = r.guard.model_checks[0] if r.guard.model_checks else None
    return score_turn(
        result,
        guards,
        canary=coach.canary,
        resources=r.resources,
        seller_text=case.last_user_text,
        model_checks=first if first and "checks" in first else None,
    )


def replay_turn(
    case: Case,
    row: dict[str, Any],
    guards: Guards,
    retriever: PrincipleRetriever,
    canary: str,
    tier: str,
    sample: int,
) -> CaseResult:
    """A turn case, answered by a recorded reply (`--replies`)."""
    reply, ids = row["reply"], list(row.get("principle_ids", []))
    retrieved = [h.id for h in retriever.retrieve(case.last_user_text, k=3)]
    result = CaseResult(
        tier=tier,
        sample=sample,
        id=case.id,
        category=case.category,
        expected=case.expected_behavior,
        behavior=classify(reply, ids, guards),
        reply=reply,
        principle_ids=ids,
        retrieved=retrieved,
        gold=list(case.gold_principles),
    )
    return score_turn(result, guards, canary=canary, seller_text=case.last_user_text)


def play_challenge(case: Case, engine: ChallengeEngine, tier: str, sample: int) -> CaseResult:
    """A challenge case: the engine drafts the message, and the draft is checked."""
    extra = case.model_extra or {}
    channel = extra.get("channel", "slack")
    request = ChallengeRequest(
        situation=case.last_user_text,
        channel=channel if channel in CHANNELS else "slack",
        tone=extra.get("tone", "warm") if extra.get("tone") in TONES else "warm",
        words=extra.get("words"),
        commitment=extra.get("commitment"),
    )
    spec = engine.channels[request.channel]
    if request.words is not None and not spec.min_words <= request.words <= spec.max_words:
        request = ChallengeRequest(**{**request.__dict__, "words": None})
    d = engine.draft(request)
    result = CaseResult(
        tier=tier,
        sample=sample,
        id=case.id,
        category="challenge",
        expected=case.expected_behavior,
        behavior=Behavior.DRAFT,
        reply=d.draft,
        principle_ids=list(d.principle_ids),
        gold=list(case.gold_principles),
        latency_ms=d.latency_ms,
        model_passed=d.model_passed,
        fallback=d.fallback,
    )
    result.check("behavior.challenge", bool(d.draft.strip()), "no draft", "")
    failed = [f for f in d.report.findings if not f.passed]
    result.check(
        "challenge.checks_pass",
        not failed,
        ", ".join(f"{f.name}: {f.detail}" for f in failed),
        failed[0].sentence if failed else "",
    )
    mirror = engine.mirror
    body = [line for line in d.draft.strip().splitlines() if line.strip()]
    # An email ends with its sign-off; the question must close the message above it.
    closing = body[-1] if body and mirror in body[-1] else body[-2] if len(body) > 1 else ""
    result.check(
        "challenge.ends_with_mirror",
        closing.rstrip().endswith(mirror),
        "does not end with the mirror question",
        body[-1] if body else "",
    )
    if case.gold_principles:
        result.check(
            "challenge.gold_hit",
            bool(set(d.principle_ids) & set(case.gold_principles)),
            f"grounded in {', '.join(d.principle_ids)}; gold: {', '.join(case.gold_principles)}",
        )
    return result


def play_session(
    persona: dict[str, Any], coach: Coach, mirror: str, tier: str, sample: int
) -> CaseResult:
    """A simulated seller talks for six turns, then the wrap-up."""
    session = ReflectionSession(coach)  # as the app runs one, without a store
    asked: list[str] = []
    explored: list[str] = []
    toward_a_step = False
    for text in persona["turns"]:
        r = session.respond(text)
        asked += [normalize_question(q) for q in questions(r.reply)]
        explored += [p for p in r.principle_ids if p not in explored]
        toward_a_step = toward_a_step or r.stage == "commit" or r.move == "commitment"
    transcript = " | ".join(m.text for m in session.messages)  # before the wrap-up
    wrap = session.wrap_up()
    result = CaseResult(
        tier=tier,
        sample=sample,
        id=f"persona-{persona['id']}",
        category="session",
        expected="session",
        behavior="session",
        reply=wrap.reply,
        principle_ids=explored,
        gold=list(persona.get("gold_principles", [])),
    )
    repeated = sorted({q for q in asked if asked.count(q) > 1})
    result.check("sessions.no_repeated_question", not repeated, "asked twice", "; ".join(repeated))
    # A session moves from what happened toward a next step: the coach asks for one, or
    # makes the seller's own concrete. (It used to count principles explored, which
    # rewarded jumping to a new principle on every follow-up.)
    result.check(
        "sessions.moves",
        toward_a_step,
        f"never turned toward a next step (explored {', '.join(explored) or 'nothing'})",
        transcript[:300],
    )
    result.check(
        "sessions.wrap_up",
        wrap.behavior is Behavior.WRAP_UP and wrap.reply.rstrip().endswith(mirror),
        "no wrap-up ending with the mirror question",
        wrap.reply[-160:],
    )
    return result
