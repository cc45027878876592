"""The run's outputs: a Markdown summary, per-case JSONL with reasons, JUnit XML for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree as ET

from coach.evaluation.gates import Metric, TierRun


def _fmt(m: Metric | None) -> str:
    if m is None or m.value is None:
        return "-"
    return f"{m.value:.3f}"


def markdown(runs: Sequence[TierRun]) -> str:
    """One table: a row per metric, for each tier its value and PASS/FAIL against the gate."""
    names = sorted({name for run in runs for name in run.metrics}, key=_order)
    tiers = [run.tier for run in runs]
    head = "| metric | n | gate | " + " | ".join(tiers) + " |"
    lines = [
        "| " + " | ".join(["---"] * (3 + len(tiers))) + " |",
    ]
    for name in names:
        first = next(run.metrics[name] for run in runs if name in run.metrics)
        gate = first.gate
        gate_text = (
            "-"
            if gate is None
            else f">= {gate.gate:g}" + (" (every sample)" if gate.critical else "")
        )
        if gate and gate.target:
            gate_text += f", target {gate.target:g}"
        cells = []
        for run in runs:
            m = run.metrics.get(name)
            if m is None:
                cells.append("-")
                continue
            mark = {"PASS": "PASS", "FAIL": "**FAIL**", "report": "report"}[m.status]
            note = " (below target)" if m.below_target else ""
            cells.append(f"{_fmt(m)} {mark}{note}")
        lines.append(f"| {name} | {first.n} | {gate_text} | " + " | ".join(cells) + " |")
    summary = []
    for run in runs:
        failed = run.failed_gates
        verdict = (
            "all gates pass"
            if not failed
            else f"{len(failed)} gate(s) fail: " + ", ".join(m.name for m in failed)
        )
        summary.append(
            f"- **{run.tier}**: {len(run.results)} case results in {run.seconds:.1f} s; {verdict}."
        )
        summary += [f"  - {note}" for note in run.notes]
    return "\n".join([*summary, "", head, *lines, ""])


def write_jsonl(runs: Sequence[TierRun], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for run in runs:
            for r in run.results:
                out.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")


def write_json(runs: Sequence[TierRun], path: Path) -> None:
    data = {
        run.tier: {
            "seconds": round(run.seconds, 2),
            "notes": run.notes,
            "metrics": {
                name: {
                    "n": m.n,
                    "value": m.value,
                    "gate": None if m.gate is None else m.gate.gate,
                    "target": None if m.gate is None else m.gate.target,
                    "critical": bool(m.gate and m.gate.critical),
                    "status": m.status,
                }
                for name, m in sorted(run.metrics.items())
            },
            "cases": [r.as_dict() for r in run.results],
        }
        for run in runs
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def write_junit(runs: Sequence[TierRun], path: Path) -> None:
    """One suite per tier: a test per gate and a test per case, failures with their reasons."""
    suites = ET.Element("testsuites")
    for run in runs:
        gated = [m for m in run.metrics.values() if m.status in ("PASS", "FAIL")]
        failures = len(run.failed_gates) + sum(not r.passed for r in run.results)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"coach-eval.{run.tier}",
            tests=str(len(gated) + len(run.results)),
            failures=str(failures),
            time=f"{run.seconds:.2f}",
        )
        for m in gated:
            case = ET.SubElement(suite, "testcase", classname=f"{run.tier}.gates", name=m.name)
            if m.status == "FAIL" and m.gate is not None:
                ET.SubElement(case, "failure", message=f"{m.value:.3f} < gate {m.gate.gate:g}")
        for r in run.results:
            case = ET.SubElement(
                suite, "testcase", classname=f"{run.tier}.{r.category}", name=f"{r.id}#{r.sample}"
            )
            if not r.passed:
                text = "\n".join(
                    f"{f['metric']}: {f['reason']} | {f['evidence']}" for f in r.failures
                )
                ET.SubElement(case, "failure", message=r.failures[0]["metric"]).text = text
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _order(name: str) -> tuple[int, str]:
    groups = [
        "retrieval",
        "behavior",
        "redirect",
        "injection",
        "crisis",
        "form",
        "grounding",
        "sessions",
        "challenge",
        "raw",
        "calibration",
        "judge",
    ]
    head = name.split(".", 1)[0]
    return (groups.index(head) if head in groups else len(groups), name)
