"""The risk classifiers measured on a fifth of their own training messages they did not see.

The thresholds in data/safety.yaml are chosen here, never on an evaluation set: every fifth
labelled risk message (by a hash of its text, so the split is stable) is held out, the
classifiers are trained on the rest, and the held-out messages are triaged whole, as the coach
triages a seller's message. Printed per language group and threshold: recall of risk (acute and
concern), the share sent to the right level, and false alarms on the held-out ordinary messages.

    .venv/bin/python benchmarks/safety_holdout.py [--grid]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zlib
from collections import defaultdict
from pathlib import Path

from coach.safety import SafetyTriage, Verdict, load_training
from coach.settings import Settings
from coach.wiring import build_retrieval, build_safety

LEVEL = {"acute": Verdict.CRISIS, "concern": Verdict.CONCERN, "none": None}


def held_out(text: str) -> bool:
    return zlib.crc32(text.encode()) % 5 == 0


def measure(triage: SafetyTriage, rows: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for level, text in rows:
        result = triage.triage(text)
        group = "English" if result.language.english else "other"
        c = counts[group]
        flagged = result.verdict in (Verdict.CRISIS, Verdict.CONCERN)
        if level == "none":
            c["ordinary"] += 1
            c["false_alarm"] += flagged
        else:
            c["risk"] += 1
            c["found"] += flagged
            c["level"] += result.verdict is LEVEL[level]
    return {
        g: {
            "recall": c["found"] / max(c["risk"], 1),
            "level": c["level"] / max(c["risk"], 1),
            "false_alarm": c["false_alarm"] / max(c["ordinary"], 1),
            "n_risk": c["risk"],
            "n_ordinary": c["ordinary"],
        }
        for g, c in sorted(counts.items())
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="try a grid of thresholds")
    args = parser.parse_args()
    base = Settings()
    crisis, _ = load_training(base.crisis_training_path, base.request_training_path)
    rows = [
        (level, t)
        for level in ("acute", "concern", "none")
        for t in getattr(crisis, level)
        if held_out(t)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), cache_path=base.cache_dir)
        stack = build_retrieval(settings)
        triage = build_safety(settings, stack, keep=lambda t: not held_out(t))
        t = triage.rules.thresholds
        grid = [(t.risk, t.risk_sentence, t.risk_other_language, t.risk_other_language_sentence)]
        if args.grid:
            grid += [
                (w, s, ow, os_)
                for w, s in ((0.85, 0.99), (0.8, 0.99), (0.8, 0.95), (0.75, 0.99))
                for ow, os_ in ((0.6, 0.8),)
            ]
        for w, s, ow, os_ in grid:
            triage.rules.thresholds = t.model_copy(
                update={
                    "risk": w,
                    "risk_sentence": s,
                    "risk_other_language": ow,
                    "risk_other_language_sentence": os_,
                }
            )
            for group, m in measure(triage, rows).items():
                print(
                    f"risk {w}/{s} other {ow}/{os_}  {group:8} recall {m['recall']:.3f} "
                    f"level {m['level']:.3f} false alarm {m['false_alarm']:.3f} "
                    f"({m['n_risk']:.0f} risk, {m['n_ordinary']:.0f} ordinary)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
