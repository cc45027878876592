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
        settings = Settings(data_dir=Path(tmp))
        stack = build_retrieval(settings)
        triage = build_safety(settings, stack)
        triage.triage("warm up")
        times = []
        for text in texts:
            stack.encoder.forget()
            start = time.perf_counter()
            triage.triage(text)
            times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    p95 = sorted(times)[int(0.95 * (len(times) - 1))]
    verdict = "ok" if median <= BUDGET_MS else "OVER"
    print(
        f"triage: median {median:.1f} ms, p95 {p95:.1f} ms over {len(times)} messages "
        f"(budget {BUDGET_MS:.0f} ms median) {verdict}"
    )
    return 1 if args.strict and median > BUDGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())
