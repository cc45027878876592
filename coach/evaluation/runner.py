"""Running the suite: datasets x tiers x samples, then metrics and gates."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from coach.behavior import Behavior
from coach.cases import Case
from coach.challenge import CHANNELS, TONES, ChallengeEngine, ChallengeRequest
from coach.evaluation.gates import Gate, Metric, TierRun
from coach.evaluation.judge import Judge
from coach.evaluation.metrics import (
    MetricSheet,
    calibration_metrics,
    check_metrics,
    judge_metrics,
    redirect_metrics,
    retrieval_metrics,
)
from coach.evaluation.progress import Progress
from coach.evaluation.scoring import TURN_CATEGORIES, CaseResult, classify, score_turn
from coach.guards import Guards
from coach.parts import CoachParts
from coach.reflect import Coach, Message, ReflectionSession
from coach.retrieval import PrincipleRetriever
from coach.text import normalize_question, questions


class Evaluator:
    """Everything a run needs, passed in: the parts, the coach, the challenge engine, personas."""

    def __init__(
        self,
        parts: CoachParts,
        coach: Coach,
        challenge: ChallengeEngine,
        personas: list[dict[str, Any]],
        calibration: list[dict[str, Any]],
        thresholds: dict[str, Gate],
        clock: Callable[[], float] = time.perf_counter,
        judge: Judge | None = None,
    ) -> None:
        self.judge = judge
        self.parts = parts
        self.coach = coach
        self.challenge = challenge
        self.personas = personas
        self.calibration = calibration
        self.thresholds = thresholds
        self.clock = clock

    @property
    def guards(self) -> Guards:
        return self.parts.guards

    @property
    def retriever(self) -> PrincipleRetriever:
        return self.parts.retriever

    # -- one tier -------------------------------------------------------------------------------

    def run(
        self,
        cases: Sequence[Case],
        tier: str,
        samples: int = 1,
        replies: dict[str, dict[str, Any]] | None = None,
        progress: bool = True,
    ) -> TierRun:
        start = self.clock()
        run = TierRun(tier)
        turn_cases = [c for c in cases if c.category in TURN_CATEGORIES]
        challenge_cases = [c for c in cases if c.category == "challenge"]
        total = (len(turn_cases) + (len(challenge_cases) if replies is None else 0)) * samples
        total += len(self.personas) * samples if replies is None else 0
        bar = Progress(total, f"eval {tier}") if progress else None
        for sample in range(1, samples + 1):
            for case in turn_cases:
                if replies is not None:
                    if case.id in replies:
                        run.results.append(self._recorded(case, replies[case.id], tier, sample))
                else:
                    run.results.append(self._live(case, tier, sample))
                if bar:
                    bar.step()
            if replies is None:
                for case in challenge_cases:
                    run.results.append(self._challenge(case, tier, sample))
                    if bar:
                        bar.step()
                for persona in self.personas:
                    run.results.append(self._session(persona, tier, sample))
                    if bar:
                        bar.step()
        if replies is not None:
            missing = [c.id for c in turn_cases if c.id not in replies]
            unknown = sorted(set(replies) - {c.id for c in cases})
            if missing:
                run.notes.append(f"{len(missing)} cases had no recorded reply and were skipped.")
            if unknown:
                run.notes.append(f"{len(unknown)} recorded replies match no case: {unknown[:5]}.")
        run.metrics = self._metrics(run, cases, samples)
        run.seconds = self.clock() - start
        return run

    def _live(self, case: Case, tier: str, sample: int) -> CaseResult:
        messages = [Message(t.role, t.content) for t in case.turns]
        r = self.coach.respond(messages)
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
            self.guards,
            canary=self.coach.canary,
            resources=r.resources,
            seller_text=case.last_user_text,
            model_checks=first if first and "checks" in first else None,
        )

    def _recorded(self, case: Case, row: dict[str, Any], tier: str, sample: int) -> CaseResult:
        reply, ids = row["reply"], list(row.get("principle_ids", []))
        retrieved = [h.id for h in self.retriever.retrieve(case.last_user_text, k=3)]
        result = CaseResult(
            tier=tier,
            sample=sample,
            id=case.id,
            category=case.category,
            expected=case.expected_behavior,
            behavior=classify(reply, ids, self.guards),
            reply=reply,
            principle_ids=ids,
            retrieved=retrieved,
            gold=list(case.gold_principles),
        )
        return score_turn(
            result, self.guards, canary=self.coach.canary, seller_text=case.last_user_text
        )

    def _challenge(self, case: Case, tier: str, sample: int) -> CaseResult:
        extra = case.model_extra or {}
        channel = extra.get("channel", "slack")
        request = ChallengeRequest(
            situation=case.last_user_text,
            channel=channel if channel in CHANNELS else "slack",
            tone=extra.get("tone", "warm") if extra.get("tone") in TONES else "warm",
            words=extra.get("words"),
            commitment=extra.get("commitment"),
        )
        spec = self.challenge.channels[request.channel]
        if request.words is not None and not spec.min_words <= request.words <= spec.max_words:
            request = ChallengeRequest(**{**request.__dict__, "words": None})
        d = self.challenge.draft(request)
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
        mirror = self.challenge.mirror
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
                f"grounded in {', '.join(d.principle_ids)}; gold: "
                f"{', '.join(case.gold_principles)}",
            )
        return result

    def _session(self, persona: dict[str, Any], tier: str, sample: int) -> CaseResult:
        """A simulated seller talks for six turns, then the wrap-up."""
        session = ReflectionSession(self.coach)  # as the app runs one, without a store
        asked: list[str] = []
        explored: list[str] = []
        toward_a_step = False
        for text in persona["turns"]:
            r = session.respond(text)
            asked += [normalize_question(q) for q in questions(r.reply)]
            explored += [p for p in r.principle_ids if p not in explored]
            toward_a_step = toward_a_step or r.stage == "commit" or r.move == "commitment"
        transcript = " | ".join(m.content for m in session.messages)  # before the wrap-up
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
        result.check(
            "sessions.no_repeated_question", not repeated, "asked twice", "; ".join(repeated)
        )
        # A session moves from what happened toward a next step: the coach asks for one, or
        # makes the seller's own concrete. (It used to count principles explored, which
        # rewarded jumping to a new principle on every follow-up.)
        result.check(
            "sessions.moves",
            toward_a_step,
            f"never turned toward a next step (explored {', '.join(explored) or 'nothing'})",
            transcript[:300],
        )
        mirror = self.parts.principles.mirror_question
        result.check(
            "sessions.wrap_up",
            wrap.behavior is Behavior.WRAP_UP and wrap.reply.rstrip().endswith(mirror),
            "no wrap-up ending with the mirror question",
            wrap.reply[-160:],
        )
        return result

    # -- metrics --------------------------------------------------------------------------------

    def _metrics(self, run: TierRun, cases: Sequence[Case], samples: int) -> dict[str, Metric]:
        sheet = MetricSheet(self.thresholds)
        check_metrics(sheet, run.results)
        redirect_metrics(sheet, run.results)
        if self.judge is not None:
            judge_metrics(sheet, run.results, cases, self.judge, self.calibration)
        if not run.tier.startswith("replies:"):  # recorded replies say nothing about retrieval
            retrieval_metrics(sheet, cases, self.retriever, len(self.parts.principles.ids))
        calibration_metrics(sheet, self.guards, self.calibration)
        return sheet.metrics
