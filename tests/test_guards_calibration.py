"""The reply checks, measured against hand-labelled replies (evals/calibration/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.guards.replies import CHECKS, Guards, calibrate
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
    (quality,) = [q for q in calibrate(GUARDS, _rows()) if q.check == check]
    assert quality.tp >= 5, f"{check}: too few labelled failures to measure"
    assert quality.precision >= 0.95 and quality.recall >= 0.95, (
        f"{check}: P={quality.precision:.3f} R={quality.recall:.3f}"
    )
