"""In-process time of the safety triage on one message, against its 15 ms budget (median).

The triage reads every message before anything else, so it must cost little. Measured on the
evals' own messages, each seen for the first time (the encoder's cache of recent texts is
cleared between messages, so sentence vectors are computed, not remembered).

    .venv/bin/python benchmarks/triage.py [--strict]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from coach.cases import load_cases
from coach.settings import PROJECT_ROOT, Settings
from coach.wiring import build_retrieval, build_safety

BUDGET_MS = 15.0
SETS = ("reflections.jsonl", "crisis.jsonl", "injection.jsonl", "off_topic.jsonl")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when over budget")
    args = parser.parse_args()
    texts = [
        c.last_user_text
        for name in SETS
        for c in load_cases(PROJECT_ROOT / "evals" / "datasets" / name)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        # The trained weights are keyed by their inputs, so the project's cache is safe to
        # share (and spares a fresh fit); the index is built in the temporary folder.
        settings = Settings(data_dir=Path(tmp), cache_path=Settings().cache_dir)
        stack = build_retrieval(settings)
        triage = build_safety(settings, stack)
        triage.triage("warm up")
        cold, warm = [], []
        for text in texts:
            stack.encoder.forget()
            cold.append(_ms(triage.triage, text))
            warm.append(_ms(triage.triage, text))  # its sentence vectors now remembered
    print(f"encoder engine: {stack.encoder.engine} (COACH_ENCODER_ENGINE=numpy|onnx)")
    for name, times in (("first sight", cold), ("vectors known", warm)):
        p95 = sorted(times)[int(0.95 * (len(times) - 1))]
        print(
            f"triage, {name}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
            f"over {len(times)} messages"
        )
    median = statistics.median(cold)
    verdict = "ok" if median <= BUDGET_MS else "OVER"
    print(
        f"budget {BUDGET_MS:.0f} ms median at first sight: {verdict} (the sentence vectors are "
        "most of it, and retrieval reuses them in the same turn)"
    )
    return 1 if args.strict and median > BUDGET_MS else 0


def _ms(triage: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    triage(text)
    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    sys.exit(main())
