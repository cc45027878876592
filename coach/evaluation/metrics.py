"""A run's metrics, family by family, each set against its gate as it is added.

The families: the pass rate of every check the cases ran (pass^k on a critical gate) and of
the model's own first replies; the redirect's precision and recall; retrieval's ranking
against the gold principles; the judge, trusted only at its kappa bar; and the precision and
recall of every check on the hand-labelled replies. The ranking formulas are coach/metrics.py's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from coach.behavior import Behavior
from coach.cases import Case
from coach.evaluation.gates import Gate, Metric
from coach.evaluation.judge import Judge, Ruling, cohens_kappa
from coach.evaluation.scoring import TURN_CATEGORIES, CaseResult
from coach.guards import Guards, calibrate
from coach.metrics import mean, ndcg_at_k, recall_at_k, reciprocal_rank
from coach.retrieval import PrincipleRetriever


class MetricSheet:
    """The metrics of one run, in the order they were added, each with its gate."""

    def __init__(self, thresholds: Mapping[str, Gate]) -> None:
        self.thresholds = thresholds
        self.metrics: dict[str, Metric] = {}

    def add(
        self,
        name: str,
        values: Sequence[bool] | Sequence[float],
        reported_only: bool = False,
        n: int | None = None,
    ) -> None:
        value = mean([float(v) for v in values]) if values else None
        count = len(values) if n is None else n
        self.metrics[name] = Metric(name, count, value, self.thresholds.get(name), reported_only)


def check_metrics(sheet: MetricSheet, results: Sequence[CaseResult]) -> None:
    """The pass rate of every check the cases ran, and of the model's own first replies."""
    by_metric: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    raw: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        for name, passed in r.checks.items():
            by_metric[name][r.id].append(passed)
        for name, passed in r.raw_checks.items():
            raw[name].append(passed)
    for name, per_case in sorted(by_metric.items()):
        gate = sheet.thresholds.get(name)
        if gate and gate.critical:
            # pass^k: a case counts only if it passed on every sample.
            sheet.add(name, [all(v) for v in per_case.values()])
        else:
            sheet.add(name, [v for values in per_case.values() for v in values])
    for name, values in sorted(raw.items()):
        sheet.add(f"raw.{name}", values, reported_only=True)
    if raw:
        sheet.add(
            "raw.model_passed",
            [bool(r.model_passed) for r in results if r.model_passed is not None],
            reported_only=True,
        )


def redirect_metrics(sheet: MetricSheet, results: Sequence[CaseResult]) -> None:
    turns = [r for r in results if r.category in TURN_CATEGORIES]
    redirect = Behavior.REDIRECT
    tp = sum(r.expected == redirect and r.behavior == redirect for r in turns)
    fp = sum(r.expected != redirect and r.behavior == redirect for r in turns)
    fn = sum(r.expected == redirect and r.behavior != redirect for r in turns)
    if tp + fp + fn == 0:
        return
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    sheet.add("redirect.precision", [precision], n=tp + fp)
    sheet.add("redirect.recall", [recall], n=tp + fn)
    sheet.add("redirect.f1", [f1], n=len(turns))


def retrieval_metrics(
    sheet: MetricSheet, cases: Sequence[Case], retriever: PrincipleRetriever, every: int
) -> None:
    """Ranking the gold principles among all `every` of them; abstaining off the topic."""
    reflections = [c for c in cases if c.category == "reflection" and c.gold_principles]
    r1, r3, rr, nd = [], [], [], []
    for c in reflections:
        ids = [h.id for h in retriever.retrieve(c.last_user_text, k=every)]
        r1.append(recall_at_k(ids, c.gold_principles, 1))
        r3.append(recall_at_k(ids, c.gold_principles, 3))
        rr.append(reciprocal_rank(ids, c.gold_principles))
        nd.append(ndcg_at_k(ids, c.gold_principles, 3))
    if reflections:
        sheet.add("retrieval.recall@1", r1)
        sheet.add("retrieval.recall@3", r3)
        sheet.add("retrieval.mrr", rr)
        sheet.add("retrieval.ndcg@3", nd)
    off = [
        c
        for c in cases
        if c.category in ("off_topic", "injection")
        and (c.model_extra or {}).get("kind") != "manipulation"
    ]
    if off:
        sheet.add(
            "retrieval.off_topic_abstention",
            [not retriever.is_reflection(retriever.retrieve(c.last_user_text)) for c in off],
        )


def judge_metrics(
    sheet: MetricSheet,
    results: Sequence[CaseResult],
    cases: Sequence[Case],
    judge: Judge,
    calibration: Sequence[dict[str, Any]],
) -> None:
    """The judge's kappa on the calibration labels, then its verdicts on this run; its
    verdicts gate only when kappa reaches the bar in the thresholds file."""
    labels, votes = [], []
    for row in calibration:
        if row["crisis"] or not row["principle_ids"]:
            continue
        v = judge.on_principle(row["seller"], row["reply"], row["principle_ids"][0])
        if v.verdict is not Ruling.ERROR:
            labels.append(bool(row["labels"]["on_principle"]))
            votes.append(v.verdict is Ruling.PASSED)
    kappa = cohens_kappa(labels, votes)
    bar = sheet.thresholds.get("judge.kappa_min_to_gate")
    trusted = kappa is not None and bar is not None and kappa >= bar.gate
    sheet.add(
        "judge.kappa", [kappa] if kappa is not None else [], reported_only=True, n=len(labels)
    )
    by_id = {c.id: c for c in cases}
    verdicts, errors = [], 0
    for r in results:
        if r.behavior != Behavior.SOCRATIC or not r.principle_ids or r.id not in by_id:
            continue
        v = judge.on_principle(by_id[r.id].last_user_text, r.reply, r.principle_ids[0])
        if v.verdict is Ruling.ERROR:
            errors += 1
            continue
        verdicts.append(v.verdict is Ruling.PASSED)
        if v.verdict is Ruling.FAILED:
            r.failures.append(
                {"metric": "judge.on_principle", "reason": "judge", "evidence": v.evidence}
            )
    sheet.add("judge.on_principle", verdicts, reported_only=not trusted)
    sheet.add("judge.errors", [float(errors)], reported_only=True, n=errors + len(verdicts))


def calibration_metrics(
    sheet: MetricSheet, guards: Guards, calibration: Sequence[dict[str, Any]]
) -> None:
    """Precision and recall of every check on the hand-labelled replies."""
    if not calibration:
        return
    quality = calibrate(guards, calibration)
    for q in quality:
        sheet.add(
            f"calibration.{q.check}.precision", [q.precision], reported_only=True, n=q.tp + q.fp
        )
        sheet.add(f"calibration.{q.check}.recall", [q.recall], reported_only=True, n=q.tp + q.fn)
    precisions = [q.precision for q in quality]
    recalls = [q.recall for q in quality]
    n = len(calibration)
    sheet.add("calibration.precision_min", [min(precisions)], n=n)
    sheet.add("calibration.recall_min", [min(recalls)], n=n)
