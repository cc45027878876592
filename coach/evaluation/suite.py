"""Building an evaluator for a tier and running the whole suite."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from coach.evaluation.datasets import (
    EvalInputError,
    load_calibration,
    load_datasets,
    load_personas,
    load_replies,
    load_thresholds,
)
from coach.evaluation.gates import TierRun
from coach.evaluation.runner import Evaluator
from coach.settings import Settings


def build_evaluator(settings: Settings, thresholds: Path) -> Evaluator:
    """One coach (and challenge engine) for the tier in `settings.tier`."""
    from coach.evaluation.judge import build_judge
    from coach.wiring import build_challenge, build_coach, build_parts

    parts = build_parts(settings, fast=True)
    personas = load_personas()
    return Evaluator(
        parts,
        build_coach(settings, parts),
        build_challenge(settings, parts),
        personas,
        load_calibration(),
        load_thresholds(thresholds),
        judge=build_judge(settings, parts.prompts, parts.principles),
    )


def run_suite(
    make: Callable[[Settings, Path], Evaluator],
    settings: Settings,
    *,
    datasets: Sequence[Path],
    tiers: Sequence[str],
    samples: int = 1,
    replies: Path | None = None,
    thresholds: Path,
    limit: int | None = None,
    progress: bool = True,
) -> list[TierRun]:
    if samples < 1:
        raise EvalInputError("--samples must be at least 1.")
    cases = load_datasets(datasets)
    if limit:
        per: dict[str, int] = {}
        kept = []
        for c in cases:
            per[c.category] = per.get(c.category, 0) + 1
            if per[c.category] <= limit:
                kept.append(c)
        cases = kept
    runs = []
    if limit:
        # Quick runs (the local-model mechanics check) also take fewer simulated sellers.
        original = make

        def make(s: Settings, t: Path) -> Evaluator:
            evaluator = original(s, t)
            evaluator.personas = evaluator.personas[:limit]
            return evaluator

    if replies is not None:
        evaluator = make(settings.model_copy(update={"tier": "scripted"}), thresholds)
        recorded = load_replies(replies)
        runs.append(evaluator.run(cases, f"replies:{replies.name}", samples, recorded, progress))
        return runs
    for tier in tiers:
        evaluator = make(settings.model_copy(update={"tier": tier}), thresholds)
        runs.append(evaluator.run(cases, tier, samples, None, progress))
    return runs
