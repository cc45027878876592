"""The Evaluator: one tier's run, every case for every sample, then its metrics and gates."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from coach.cases import Case
from coach.challenge import ChallengeEngine
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
from coach.evaluation.play import play_challenge, play_session, play_turn, replay_turn
from coach.evaluation.progress import Progress
from coach.evaluation.scoring import TURN_CATEGORIES
from coach.guards import Guards
from coach.parts import CoachParts
from coach.reflect import Coach
from coach.retrieval import PrincipleRetriever


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
        mirror = self.parts.principles.mirror_question  # a simulated session ends with it
        for sample in range(1, samples + 1):
            for case in turn_cases:
                if replies is not None:
                    if case.id in replies:
                        run.results.append(
                            replay_turn(
                                case,
                                replies[case.id],
                                self.guards,
                                self.retriever,
                                self.coach.canary,
                                tier,
                                sample,
                            )
                        )
                else:
                    run.results.append(play_turn(case, self.coach, self.guards, tier, sample))
                if bar:
                    bar.step()
            if replies is None:
                for case in challenge_cases:
                    run.results.append(play_challenge(case, self.challenge, tier, sample))
                    if bar:
                        bar.step()
                for persona in self.personas:
                    run.results.append(play_session(persona, self.coach, mirror, tier, sample))
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
