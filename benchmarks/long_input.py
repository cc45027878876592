"""In-process time for the coach to answer a 20,000-character paste, against its 1.5 s budget.

A seller pastes a week's notes: hundreds of distinct sentences, the most the chat box takes.
Timed as the app meets it (the Chroma index, the scripted tier), first for a new paste and then
for the next turn of the same session, over a few different pastes.

    .venv/bin/python benchmarks/long_input.py [--strict]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from coach.settings import Settings
from coach.turns import Turn
from coach.wiring import build_coach, build_parts, build_retrieval

BUDGET_S = 1.5
LINES = [
    "Called {0} about the renewal and they asked for another discount",
    "My manager wanted the {0} forecast by noon and I guessed at two deals",
    "I skipped the standup because the {0} call ran long",
    "Priya stayed late to help me rebuild the {0} demo",
    "We lost the {0} deal on price after six months of work",
    "I blamed marketing for the {0} lead quality in our pipeline review",
]
ACCOUNTS = ["Acme", "Hanley", "Brightwell", "Tremont", "Northwind", "Globex", "Initech"]


def paste(seed: int, chars: int = 20_000) -> str:
    out, n = [], seed
    while sum(len(s) + 1 for s in out) < chars:
        out.append(LINES[n % len(LINES)].format(ACCOUNTS[n % len(ACCOUNTS)]) + f" (day {n}).")
        n += 7
    return " ".join(out)[:chars]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when over budget")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), tier="scripted")
        stack = build_retrieval(settings)
        coach = build_coach(settings, build_parts(settings, stack))
        coach.respond([Turn("user", "warm up: I lost a deal this week.")])
        first, next_turn = [], []
        for seed in range(5):
            text = paste(seed)
            stack.encoder.forget()
            start = time.perf_counter()
            result = coach.respond([Turn("user", text)])
            first.append(time.perf_counter() - start)
            turns = [
                Turn("user", text),
                result.turn(),
                Turn("user", "The discount is what I keep coming back to."),
            ]
            start = time.perf_counter()
            coach.respond(turns)
            next_turn.append(time.perf_counter() - start)
    worst = max(first + next_turn)
    for name, times in (("the paste", first), ("the next turn", next_turn)):
        print(
            f"20,000 characters, {name}: median {statistics.median(times):.2f} s, "
            f"worst {max(times):.2f} s over {len(times)}"
        )
    print(f"budget {BUDGET_S} s: {'ok' if worst <= BUDGET_S else 'OVER'}")
    return 1 if args.strict and worst > BUDGET_S else 0


if __name__ == "__main__":
    sys.exit(main())
