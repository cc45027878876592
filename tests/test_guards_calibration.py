"""The reply checks, measured against hand-labelled replies (evals/calibration/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.guards import CHECKS, Guards, ReplyContext
from coach.settings import DATA_DIR

CALIBRATION = Path(__file__).resolve().parent.parent / "evals" / "calibration"
GUARDS = Guards.load(DATA_DIR / "guards.yaml")


def _rows() -> list[dict]:  # type: ignore[type-arg]
    return [
        json.loads(line)
        for f in sorted(CALIBRATION.glob("*.jsonl"))
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_the_calibration_set_is_big_and_covers_every_failure_kind() -> None:
    rows = _rows()
    assert len(rows) >= 120
    kinds = {r["kind"] for r in rows}
    for kind in ("good", "lecture", "several_questions", "yes_no", "leading", "blame"):
        assert kind in kinds
    for kind in ("off_principle", "leak", "crisis_coached", "too_long"):
        assert kind in kinds


@pytest.mark.parametrize("check", CHECKS)
def test_each_check_has_precision_and_recall_of_at_least_095(check: str) -> None:
    """A failure is the positive class: precision = flagged replies that were bad."""
    tp = fp = fn = 0
    for r in _rows():
        label = r["labels"].get(check)
        ctx = ReplyContext(
            principle_ids=r["principle_ids"],
            retrieved_ids=r["gold_principles"] or r["principle_ids"],
            crisis=r["crisis"],
        )
        result = {c.name: c for c in GUARDS.check(r["reply"], ctx).checks}[check]
        if label is None or result.passed is None:
            continue
        bad, flagged = not label, not result.passed
        tp += bad and flagged
        fp += flagged and not bad
        fn += bad and not flagged
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    assert tp >= 5, f"{check}: too few labelled failures to measure"
    assert precision >= 0.95 and recall >= 0.95, f"{check}: P={precision:.3f} R={recall:.3f}"
