"""Fresh-process latency of the short-lived commands, against their budgets.

A timing depends on the machine and on what else it is doing, so it lives here, not in a test:
`make bench` prints each figure beside its budget and exits 1 only with `--strict` when one is
over. Run it on an idle machine after `make index` (the figures in the README came from here).

    .venv/bin/python benchmarks/startup.py [--runs 7] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REFLECTION = "I told my VP the deal slipped because the product team shipped late."
BUDGETS_S = {"coach reply": 1.0, "coach retrieve": 3.0}


def _median_seconds(args: list[str], stdin: str, env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "coach.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        times.append(time.perf_counter() - start)
        if out.returncode != 0:
            raise SystemExit(f"`coach {' '.join(args)}` failed: {out.stderr.strip()}")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per command")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "COACH_DATA_DIR": str(Path(tmp) / "data"), "COACH_TIER": "scripted"}
        payload = json.dumps({"turns": [{"role": "user", "content": REFLECTION}]})
        subprocess.run([sys.executable, "-m", "coach.cli", "ingest"], env=env, check=True)
        _median_seconds(["reply"], payload, env, runs=1)  # warm the caches once, as a user would
        figures = {
            "coach reply": _median_seconds(["reply", "--json"], payload, env, args.runs),
            "coach retrieve": _median_seconds(
                ["retrieve", REFLECTION, "--json"], "", env, args.runs
            ),
        }
    over = []
    for name, seconds in figures.items():
        budget = BUDGETS_S[name]
        verdict = "ok" if seconds <= budget else "OVER"
        print(
            f"{name:<16} median {seconds:5.2f} s over {args.runs} fresh processes "
            f"(budget {budget:.1f} s) {verdict}"
        )
        if seconds > budget:
            over.append(name)
    return 1 if over and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
