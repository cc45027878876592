"""Running the suite: datasets x tiers x samples, then metrics and gates."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from coach.behavior import Behavior
from coach.cases import Case, CaseFileError, load_cases
from coach.challenge import CHANNELS, TONES, ChallengeEngine, ChallengeRequest
from coach.datafiles import jsonl_rows, load_data_file
from coach.errors import CoachError
from coach.evaluation.judge import Judge, Ruling, cohens_kappa
from coach.evaluation.scoring import CaseResult, classify, score_turn
from coach.guards import Guards, calibrate
from coach.metrics import mean, ndcg_at_k, recall_at_k, reciprocal_rank
from coach.parts import CoachParts
from coach.reflect import Coach, ReflectionSession
from coach.retrieval import PrincipleRetriever
from coach.text import normalize_question, questions

TURN_CATEGORIES = ("reflection", "multi_turn", "off_topic", "injection", "crisis")


class EvalInputError(CoachError, ValueError):
    """A dataset, replies file or thresholds file that cannot be used."""


@dataclass(frozen=True)
class Gate:
    gate: float
    target: float | None = None
    critical: bool = False


@dataclass
class Metric:
    name: str
    n: int
    value: float | None
    gate: Gate | None = None
    reported_only: bool = False  # a raw-model figure or a judge figure below its kappa bar

    @property
    def status(self) -> str:
        if self.value is None or self.gate is None or self.reported_only:
            return "report"
        return "PASS" if self.value >= self.gate.gate - 1e-9 else "FAIL"

    @property
    def below_target(self) -> bool:
        return bool(
            self.gate
            and self.gate.target
            and self.value is not None
            and self.value < self.gate.target
        )


@dataclass
class TierRun:
    tier: str
    results: list[CaseResult] = field(default_factory=list)
    metrics: dict[str, Metric] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def failed_gates(self) -> list[Metric]:
        return [m for m in self.metrics.values() if m.status == "FAIL"]


class _GateSpec(BaseModel):
    gate: float
    target: float | None = None
    critical: bool = False


class _DatasetLists(BaseModel):
    gate: list[str] = Field(default_factory=list)
    report: list[str] = Field(default_factory=list)


class _ThresholdsFile(BaseModel):
    version: Literal[1]
    metrics: dict[str, _GateSpec]
    datasets: _DatasetLists = Field(default_factory=_DatasetLists)


def _thresholds_file(path: Path) -> _ThresholdsFile:
    return load_data_file(path, _ThresholdsFile, "Thresholds file", EvalInputError)


def load_thresholds(path: Path) -> dict[str, Gate]:
    return {
        name: Gate(spec.gate, spec.target, spec.critical)
        for name, spec in _thresholds_file(path).metrics.items()
    }


def dataset_lists(path: Path) -> tuple[list[str], list[str]]:
    """The dataset files that gate, and those that are only reported."""
    sets = _thresholds_file(path).datasets
    return list(sets.gate), list(sets.report)


def load_datasets(paths: Sequence[Path]) -> list[Case]:
    cases: list[Case] = []
    seen: set[str] = set()
    for path in paths:
        try:
            loaded = load_cases(path)
        except CaseFileError as exc:
            raise EvalInputError(str(exc)) from None
        for case in loaded:
            if case.id in seen:
                raise EvalInputError(f"{path}: the case id {case.id!r} appears twice.")
            seen.add(case.id)
            cases.append(case)
    if not cases:
        raise EvalInputError("The datasets hold no cases.")
    return cases


def load_replies(path: Path) -> dict[str, dict[str, Any]]:
    """Recorded replies: JSONL of {"id", "reply", "principle_ids"}; a bad line names itself."""
    out: dict[str, dict[str, Any]] = {}
    for n, row in jsonl_rows(path, "Replies file", EvalInputError):
        if not isinstance(row.get("id"), str):
            raise EvalInputError(f'{path}:{n}: each line needs "id", "reply", "principle_ids".')
        if not isinstance(row.get("reply"), str):
            raise EvalInputError(f'{path}:{n}: "reply" must be a string.')
        ids = row.get("principle_ids", [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise EvalInputError(f'{path}:{n}: "principle_ids" must be a list of ids.')
        out[row["id"]] = row
    return out


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line every 10% elsewhere."""

    def __init__(self, total: int, label: str, stream: Any = None) -> None:
        self.total, self.label, self.done = max(total, 1), label, 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_decile = -1

    def step(self) -> None:
        self.done += 1
        frac = self.done / self.total
        bar = "#" * int(frac * 30)
        if self.tty:
            self.stream.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif int(frac * 10) != self.last_decile:
            self.last_decile = int(frac * 10)
            self.stream.write(f"{self.label} [{bar:<30}] {self.done}/{self.total}\n")


class Evaluator:
    """Everything a run needs, passed in: the parts, the coach, the challenge engine, personas."""

    def __init__(
        self,
        parts: CoachParts,
        coach: Coach,
        challenge: ChallengeEngine,
        personas: list[dict[str, Any]],
        calibration: list[dict[str, Any]],
        thresholds: dict[str, Gate],
        clock: Callable[[], float] = time.perf_counter,
        judge: Judge | None = None,
    ) -> None:
        self.judge = judge
        self.parts = parts
        self.coach = coach
        self.challenge = challenge
        self.personas = personas
        self.calibration = calibration
        self.thresholds = thresholds
        self.clock = clock

    @property
    def guards(self) -> Guards:
        return self.parts.guards

    @property
    def retriever(self) -> PrincipleRetriever:
        return self.parts.retriever

    # -- one tier -------------------------------------------------------------------------------

    def run(
        self,
        cases: Sequence[Case],
        tier: str,
        samples: int = 1,
        replies: dict[str, dict[str, Any]] | None = None,
        progress: bool = True,
    ) -> TierRun:
        start = self.clock()
        run = TierRun(tier)
        turn_cases = [c for c in cases if c.category in TURN_CATEGORIES]
        challenge_cases = [c for c in cases if c.category == "challenge"]
        total = (len(turn_cases) + (len(challenge_cases) if replies is None else 0)) * samples
        total += len(self.personas) * samples if replies is None else 0
        bar = Progress(total, f"eval {tier}") if progress else None
        for sample in range(1, samples + 1):
            for case in turn_cases:
                if replies is not None:
                    if case.id in replies:
                        run.results.append(self._recorded(case, replies[case.id], tier, sample))
                else:
                    run.results.append(self._live(case, tier, sample))
                if bar:
                    bar.step()
            if replies is None:
                for case in challenge_cases:
                    run.results.append(self._challenge(case, tier, sample))
                    if bar:
                        bar.step()
                for persona in self.personas:
                    run.results.append(self._session(persona, tier, sample))
                    if bar:
                        bar.step()
        if replies is not None:
            missing = [c.id for c in turn_cases if c.id not in replies]
            unknown = sorted(set(replies) - {c.id for c in cases})
            if missing:
                run.notes.append(f"{len(missing)} cases had no recorded reply and were skipped.")
            if unknown:
                run.notes.append(f"{len(unknown)} recorded replies match no case: {unknown[:5]}.")
        run.metrics = self._metrics(run, cases, samples)
        run.seconds = self.clock() - start
        return run

    def _live(self, case: Case, tier: str, sample: int) -> CaseResult:
        r = self.coach.respond(case.turns)
        result = CaseResult(
            tier=tier,
            sample=sample,
            id=case.id,
            category=case.category,
            expected=case.expected_behavior,
            behavior=r.behavior,
            reply=r.reply,
            principle_ids=list(r.principle_ids),
            retrieved=list(r.retrieved),
            gold=list(case.gold_principles),
            latency_ms=r.latency_ms,
            model_passed=r.guard.model_passed,
            fallback=r.guard.fallback,
        )
        first = r.guard.model_checks[0] if r.guard.model_checks else None
        return score_turn(
            result,
            self.guards,
            canary=self.coach.canary,
            resources=r.resources,
            seller_text=case.last_user_text,
            model_checks=first if first and "checks" in first else None,
        )

    def _recorded(self, case: Case, row: dict[str, Any], tier: str, sample: int) -> CaseResult:
        reply, ids = row["reply"], list(row.get("principle_ids", []))
        retrieved = [h.id for h in self.retriever.retrieve(case.last_user_text, k=3)]
        result = CaseResult(
            tier=tier,
            sample=sample,
            id=case.id,
            category=case.category,
            expected=case.expected_behavior,
            behavior=classify(reply, ids, self.guards),
            reply=reply,
            principle_ids=ids,
            retrieved=retrieved,
            gold=list(case.gold_principles),
        )
        return score_turn(
            result, self.guards, canary=self.coach.canary, seller_text=case.last_user_text
        )

    def _challenge(self, case: Case, tier: str, sample: int) -> CaseResult:
        extra = case.model_extra or {}
        channel = extra.get("channel", "slack")
        request = ChallengeRequest(
            situation=case.last_user_text,
            channel=channel if channel in CHANNELS else "slack",
            tone=extra.get("tone", "warm") if extra.get("tone") in TONES else "warm",
            words=extra.get("words"),
            commitment=extra.get("commitment"),
        )
        spec = self.challenge.channels[request.channel]
        if request.words is not None and not spec.min_words <= request.words <= spec.max_words:
            request = ChallengeRequest(**{**request.__dict__, "words": None})
        d = self.challenge.draft(request)
        result = CaseResult(
            tier=tier,
            sample=sample,
            id=case.id,
            category="challenge",
            expected=case.expected_behavior,
            behavior=Behavior.DRAFT,
            reply=d.draft,
            principle_ids=list(d.principle_ids),
            gold=list(case.gold_principles),
            latency_ms=d.latency_ms,
            model_passed=d.model_passed,
            fallback=d.fallback,
        )
        result.check("behavior.challenge", bool(d.draft.strip()), "no draft", "")
        failed = [f for f in d.report.findings if not f.passed]
        result.check(
            "challenge.checks_pass",
            not failed,
            ", ".join(f"{f.name}: {f.detail}" for f in failed),
            failed[0].sentence if failed else "",
        )
        mirror = self.challenge.mirror
        body = [line for line in d.draft.strip().splitlines() if line.strip()]
        # An email ends with its sign-off; the question must close the message above it.
        closing = body[-1] if body and mirror in body[-1] else body[-2] if len(body) > 1 else ""
        result.check(
            "challenge.ends_with_mirror",
            closing.rstrip().endswith(mirror),
            "does not end with the mirror question",
            body[-1] if body else "",
        )
        if case.gold_principles:
            result.check(
                "challenge.gold_hit",
                bool(set(d.principle_ids) & set(case.gold_principles)),
                f"grounded in {', '.join(d.principle_ids)}; gold: "
                f"{', '.join(case.gold_principles)}",
            )
        return result

    def _session(self, persona: dict[str, Any], tier: str, sample: int) -> CaseResult:
        """A simulated seller talks for six turns, then the wrap-up."""
        session = ReflectionSession(self.coach)  # as the app runs one, without a store
        asked: list[str] = []
        explored: list[str] = []
        toward_a_step = False
        for text in persona["turns"]:
            r = session.respond(text)
            asked += [normalize_question(q) for q in questions(r.reply)]
            explored += [p for p in r.principle_ids if p not in explored]
            toward_a_step = toward_a_step or r.stage == "commit" or r.move == "commitment"
        transcript = " | ".join(m.text for m in session.messages)  # before the wrap-up
        wrap = session.wrap_up()
        result = CaseResult(
            tier=tier,
            sample=sample,
            id=f"persona-{persona['id']}",
            category="session",
            expected="session",
            behavior="session",
            reply=wrap.reply,
            principle_ids=explored,
            gold=list(persona.get("gold_principles", [])),
        )
        repeated = sorted({q for q in asked if asked.count(q) > 1})
        result.check(
            "sessions.no_repeated_question", not repeated, "asked twice", "; ".join(repeated)
        )
        # A session moves from what happened toward a next step: the coach asks for one, or
        # makes the seller's own concrete. (It used to count principles explored, which
        # rewarded jumping to a new principle on every follow-up.)
        result.check(
            "sessions.moves",
            toward_a_step,
            f"never turned toward a next step (explored {', '.join(explored) or 'nothing'})",
            transcript[:300],
        )
        mirror = self.parts.principles.mirror_question
        result.check(
            "sessions.wrap_up",
            wrap.behavior is Behavior.WRAP_UP and wrap.reply.rstrip().endswith(mirror),
            "no wrap-up ending with the mirror question",
            wrap.reply[-160:],
        )
        return result

    # -- metrics --------------------------------------------------------------------------------

    def _metrics(self, run: TierRun, cases: Sequence[Case], samples: int) -> dict[str, Metric]:
        metrics: dict[str, Metric] = {}

        def add(
            name: str,
            values: Sequence[bool] | Sequence[float],
            reported_only: bool = False,
            n: int | None = None,
        ) -> None:
            value = mean([float(v) for v in values]) if values else None
            count = len(values) if n is None else n
            metrics[name] = Metric(name, count, value, self.thresholds.get(name), reported_only)

        by_metric: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
        raw: dict[str, list[bool]] = defaultdict(list)
        for r in run.results:
            for name, passed in r.checks.items():
                by_metric[name][r.id].append(passed)
            for name, passed in r.raw_checks.items():
                raw[name].append(passed)
        for name, per_case in sorted(by_metric.items()):
            gate = self.thresholds.get(name)
            if gate and gate.critical:
                # pass^k: a case counts only if it passed on every sample.
                add(name, [all(v) for v in per_case.values()])
            else:
                add(name, [v for values in per_case.values() for v in values])
        for name, values in sorted(raw.items()):
            add(f"raw.{name}", values, reported_only=True)
        if raw:
            add(
                "raw.model_passed",
                [bool(r.model_passed) for r in run.results if r.model_passed is not None],
                reported_only=True,
            )
        self._redirect_metrics(run, add)
        if self.judge is not None:
            self._judge_metrics(run, cases, add)
        if not run.tier.startswith("replies:"):  # recorded replies say nothing about retrieval
            self._retrieval_metrics(cases, add)
        self._calibration_metrics(add)
        return metrics

    def _redirect_metrics(self, run: TierRun, add: Callable[..., None]) -> None:
        turns = [r for r in run.results if r.category in TURN_CATEGORIES]
        redirect = Behavior.REDIRECT
        tp = sum(r.expected == redirect and r.behavior == redirect for r in turns)
        fp = sum(r.expected != redirect and r.behavior == redirect for r in turns)
        fn = sum(r.expected == redirect and r.behavior != redirect for r in turns)
        if tp + fp + fn == 0:
            return
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        add("redirect.precision", [precision], n=tp + fp)
        add("redirect.recall", [recall], n=tp + fn)
        add("redirect.f1", [f1], n=len(turns))

    def _retrieval_metrics(self, cases: Sequence[Case], add: Callable[..., None]) -> None:
        reflections = [c for c in cases if c.category == "reflection" and c.gold_principles]
        r1, r3, rr, nd = [], [], [], []
        for c in reflections:
            ids = [
                h.id
                for h in self.retriever.retrieve(c.last_user_text, k=len(self.parts.principles.ids))
            ]
            r1.append(recall_at_k(ids, c.gold_principles, 1))
            r3.append(recall_at_k(ids, c.gold_principles, 3))
            rr.append(reciprocal_rank(ids, c.gold_principles))
            nd.append(ndcg_at_k(ids, c.gold_principles, 3))
        if reflections:
            add("retrieval.recall@1", r1)
            add("retrieval.recall@3", r3)
            add("retrieval.mrr", rr)
            add("retrieval.ndcg@3", nd)
        off = [
            c
            for c in cases
            if c.category in ("off_topic", "injection")
            and (c.model_extra or {}).get("kind") != "manipulation"
        ]
        if off:
            add(
                "retrieval.off_topic_abstention",
                [
                    not self.retriever.is_reflection(self.retriever.retrieve(c.last_user_text))
                    for c in off
                ],
            )

    def _judge_metrics(self, run: TierRun, cases: Sequence[Case], add: Callable[..., None]) -> None:
        """The judge's kappa on the calibration labels, then its verdicts on this run; its
        verdicts gate only when kappa reaches the bar in the thresholds file."""
        assert self.judge is not None
        labels, votes = [], []
        for row in self.calibration:
            if row["crisis"] or not row["principle_ids"]:
                continue
            v = self.judge.on_principle(row["seller"], row["reply"], row["principle_ids"][0])
            if v.verdict is not Ruling.ERROR:
                labels.append(bool(row["labels"]["on_principle"]))
                votes.append(v.verdict is Ruling.PASSED)
        kappa = cohens_kappa(labels, votes)
        bar = self.thresholds.get("judge.kappa_min_to_gate")
        trusted = kappa is not None and bar is not None and kappa >= bar.gate
        add("judge.kappa", [kappa] if kappa is not None else [], reported_only=True, n=len(labels))
        by_id = {c.id: c for c in cases}
        verdicts, errors = [], 0
        for r in run.results:
            if r.behavior != Behavior.SOCRATIC or not r.principle_ids or r.id not in by_id:
                continue
            v = self.judge.on_principle(by_id[r.id].last_user_text, r.reply, r.principle_ids[0])
            if v.verdict is Ruling.ERROR:
                errors += 1
                continue
            verdicts.append(v.verdict is Ruling.PASSED)
            if v.verdict is Ruling.FAILED:
                r.failures.append(
                    {"metric": "judge.on_principle", "reason": "judge", "evidence": v.evidence}
                )
        add("judge.on_principle", verdicts, reported_only=not trusted)
        add("judge.errors", [float(errors)], reported_only=True, n=errors + len(verdicts))

    def _calibration_metrics(self, add: Callable[..., None]) -> None:
        """Precision and recall of every check on the hand-labelled replies."""
        if not self.calibration:
            return
        quality = calibrate(self.guards, self.calibration)
        for q in quality:
            add(
                f"calibration.{q.check}.precision", [q.precision], reported_only=True, n=q.tp + q.fp
            )
            add(f"calibration.{q.check}.recall", [q.recall], reported_only=True, n=q.tp + q.fn)
        precisions = [q.precision for q in quality]
        recalls = [q.recall for q in quality]
        n = len(self.calibration)
        add("calibration.precision_min", [min(precisions)], n=n)
        add("calibration.recall_min", [min(recalls)], n=n)
