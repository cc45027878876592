"""Retrieval quality on the labelled reflections, measured (README, "Retrieval quality").

The reflections come from three files: `reflections.jsonl` and `false_alarms.jsonl` were
written independently of data/principles.yaml and then used while tuning the fusion weights;
`heldout_reflections.jsonl` was written by someone who never saw the corpus and was only
measured, never tuned on. The thresholds apply to the union and to the held-out set alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.cases import Case, load_cases
from coach.metrics import mean, recall_at_k, reciprocal_rank
from coach.retrieval.search import Hit

DATASETS = Path(__file__).resolve().parent.parent / "evals" / "datasets"
TUNED = ["reflections.jsonl", "false_alarms.jsonl"]
HELD_OUT = ["heldout_reflections.jsonl"]
OFF_TOPIC = ["off_topic.jsonl", "injection.jsonl"]


def _cases(names: list[str]) -> list[Case]:
    return [c for n in names for c in load_cases(DATASETS / n)]


@pytest.fixture(scope="module")
def ranked(retrieval_stack) -> dict[str, list[Hit]]:  # type: ignore[no-untyped-def]
    """Every case retrieved once, all principles ranked."""
    cases = _cases(TUNED + HELD_OUT + OFF_TOPIC)
    every = len(retrieval_stack.principles.ids)
    return {c.id: retrieval_stack.retrieve(c.last_user_text, k=every) for c in cases}


def _scores(ranked: dict[str, list[Hit]], names: list[str]) -> tuple[float, float]:
    recall, rr = [], []
    for case in _cases(names):
        ids = [h.id for h in ranked[case.id]]
        recall.append(recall_at_k(ids, case.gold_principles, 3))
        rr.append(reciprocal_rank(ids, case.gold_principles))
    return mean(recall), mean(rr)


def test_the_labelled_sets_are_big_enough() -> None:
    assert len(_cases(TUNED + HELD_OUT)) >= 40
    assert len(_cases(HELD_OUT)) >= 40
    assert len(_cases(OFF_TOPIC)) >= 10


def test_recall_at_3_and_mrr_on_all_reflections(ranked) -> None:  # type: ignore[no-untyped-def]
    recall, mrr = _scores(ranked, TUNED + HELD_OUT)
    assert recall >= 0.90, f"recall@3 = {recall:.3f}"
    assert mrr >= 0.75, f"MRR = {mrr:.3f}"


def test_recall_at_3_and_mrr_on_the_held_out_set(ranked) -> None:  # type: ignore[no-untyped-def]
    recall, mrr = _scores(ranked, HELD_OUT)
    assert recall >= 0.90, f"held-out recall@3 = {recall:.3f}"
    assert mrr >= 0.75, f"held-out MRR = {mrr:.3f}"


def _not_manipulation(case: Case) -> bool:
    # Manipulation requests ("help me fake urgency to close") are about selling, so they read
    # as close to the principles as a reflection does; the safety triage catches them by pattern
    # (data/safety.yaml), not the relevance threshold.
    return (case.model_extra or {}).get("kind") != "manipulation"


def test_off_topic_falls_below_the_threshold_and_reflections_do_not(
    ranked,
    retrieval_stack,  # type: ignore[no-untyped-def]
) -> None:
    off = [c for c in _cases(OFF_TOPIC) if _not_manipulation(c)]
    assert len(off) >= 10
    below = [not retrieval_stack.is_reflection(ranked[c.id]) for c in off]
    assert mean([float(b) for b in below]) >= 0.80
    # A threshold that also threw real reflections away would be useless.
    kept = [retrieval_stack.is_reflection(ranked[c.id]) for c in _cases(TUNED + HELD_OUT)]
    assert mean([float(k) for k in kept]) >= 0.93
