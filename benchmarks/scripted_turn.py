"""In-process time of one scripted coach turn, against its 100 ms budget (95th percentile).

A seller waits for every turn, so the scripted coach (which every LLM tier falls back to) must
answer at once: triage, reading the message, retrieval and composing the reply. Measured by
playing the multi-turn listening sessions through the coach, each turn timed as the app times
it. As in the app, each new message is seen for the first time and the earlier ones were
seen in their own turns (the encoder remembers recent texts); a fresh process per session.

    .venv/bin/python benchmarks/scripted_turn.py [--strict]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from coach.datafiles import read_jsonl
from coach.settings import PROJECT_ROOT, Settings
from coach.turns import Turn
from coach.wiring import build_coach, build_parts, build_retrieval

BUDGET_MS = 100.0
SESSIONS = PROJECT_ROOT / "evals" / "blind" / "blind_listening.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when over budget")
    parser.add_argument("sessions", nargs="?", default=str(SESSIONS), help="sessions JSONL")
    args = parser.parse_args()
    sessions = read_jsonl(Path(args.sessions), "Sessions file")
    with tempfile.TemporaryDirectory() as tmp:
        # Fitted weights are keyed by their inputs: the project's cache is safe to share.
        settings = Settings(data_dir=Path(tmp), cache_path=Settings().cache_dir, tier="scripted")
        stack = build_retrieval(settings)
        parts = build_parts(settings, stack)
        coach = build_coach(settings, parts)
        coach.respond([Turn("user", "warm up: a quiet week of discovery calls")])
        times: list[float] = []
        for session in sessions:
            stack.encoder.forget()  # a new session: nothing of it seen yet
            messages: list[Turn] = []
            for turn in session["seller_turns"]:
                messages.append(Turn("user", turn["text"]))
                start = time.perf_counter()
                r = coach.respond(messages)
                times.append((time.perf_counter() - start) * 1000)
                messages.append(r.turn())
    p95 = sorted(times)[int(0.95 * (len(times) - 1))]
    print(
        f"scripted turn: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
        f"over {len(times)} turns"
    )
    verdict = "ok" if p95 <= BUDGET_MS else "OVER"
    print(f"budget {BUDGET_MS:.0f} ms at the 95th percentile: {verdict}")
    return 1 if args.strict and p95 > BUDGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())
