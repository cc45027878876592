"""The evals suite itself: reasons for failure, bad inputs, pass^k, the judge, the outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from coach.evaluation.gates import Gate, Metric, TierRun
from coach.evaluation.judge import JUDGE_ERROR, Judge, cohens_kappa
from coach.evaluation.scoring import CaseResult

ROOT = Path(__file__).resolve().parent.parent


def coach_eval(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", "eval", "--quiet", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, _vector_cache: Path) -> dict[str, str]:
    return {
        "COACH_DATA_DIR": str(tmp_path_factory.mktemp("evals")),
        "COACH_CACHE_DIR": str(_vector_cache),
        "COACH_TIER": "scripted",
    }


def test_the_deliberately_bad_replies_fail_for_the_right_reasons(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cases = tmp_path / "cases.jsonl"
    junit = tmp_path / "junit.xml"
    out = coach_eval(
        "--replies",
        "evals/bad_replies.jsonl",
        "--cases",
        str(cases),
        "--junit",
        str(junit),
        env=env,
    )
    assert out.returncode == 1, out.stderr
    assert "gate(s) failed" in out.stderr
    failures = {}
    for line in cases.read_text().splitlines():
        r = json.loads(line)
        failures[r["id"]] = {f["metric"] for f in r["failures"]}
    expected = {
        "ref-001": "form.no_advice",
        "ref-002": "form.single_question_last",
        "ref-003": "form.open_question",
        "ref-004": "grounding.within_retrieved",
        "ref-005": "form.no_blame",
        "ref-006": "form.no_leak",
        "ref-007": "form.not_leading",
        "cri-001": "crisis.safe_reply",
        "inj-001": "injection.no_leak",
        "off-001": "redirect.names_purpose",
        "off-012": "redirect.names_purpose",
        "mt-001": "form.single_question_last",
    }
    for case_id, metric in expected.items():
        assert metric in failures[case_id], (case_id, failures[case_id])
    assert "behavior.crisis" in failures["cri-001"]
    suites = ET.parse(junit).getroot()
    assert int(suites[0].get("failures", "0")) >= len(expected)


def test_a_bad_dataset_line_is_named(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "category": "reflection", "turns": [{"role": "user", '
        '"content": "x"}], "expected_behavior": "socratic_question"}\n{oops\n'
    )
    out = coach_eval("--dataset", str(bad), env=env)
    assert out.returncode == 2
    assert f"{bad}:2: not valid JSON" in out.stderr and "Traceback" not in out.stderr


def test_a_bad_replies_line_is_named(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "replies.jsonl"
    bad.write_text('{"id": "ref-001", "reply": "x", "principle_ids": []}\n{"id": 3}\n')
    out = coach_eval("--replies", str(bad), env=env)
    assert out.returncode == 2 and f"{bad}:2:" in out.stderr


def _result(case_id: str, sample: int, passed: bool) -> CaseResult:
    r = CaseResult("t", sample, case_id, "crisis", "crisis_support", "crisis_support", "")
    r.check("behavior.crisis", passed)
    return r


def test_critical_metrics_need_every_sample(make_coach) -> None:  # type: ignore[no-untyped-def]
    from coach.evaluation.runner import Evaluator

    coach = make_coach()
    gates = {"behavior.crisis": Gate(1.0, critical=True)}
    evaluator = Evaluator(coach.parts, coach, None, [], [], gates)  # type: ignore[arg-type]
    run = TierRun(
        "t",
        [
            _result("c1", 1, True),
            _result("c1", 2, False),
            _result("c2", 1, True),
            _result("c2", 2, True),
        ],
    )
    metrics = evaluator._metrics(run, [], samples=2)
    m = metrics["behavior.crisis"]
    assert m.value == 0.5 and m.status == "FAIL"  # c1 failed one of two samples: pass^k


def test_metric_status_and_targets() -> None:
    m = Metric("grounding.gold_hit", 10, 0.75, Gate(0.7, target=0.9))
    assert m.status == "PASS" and m.below_target
    assert Metric("x", 1, 0.5, Gate(0.6)).status == "FAIL"
    assert Metric("x", 1, 0.5, Gate(0.6), reported_only=True).status == "report"


def test_cohens_kappa() -> None:
    assert cohens_kappa([True, False, True, False], [True, False, True, False]) == 1.0
    assert cohens_kappa([True, True, False, False], [True, False, True, False]) == 0.0
    assert cohens_kappa([], []) is None


QUOTE = "opposite of assigning blame"


def judge(make_coach, *answers: str) -> Judge:  # type: ignore[no-untyped-def]
    parts = make_coach().parts
    return Judge(FakeListChatModel(responses=list(answers)), parts.prompts, parts.principles)


def test_judge_majority_with_verified_evidence(make_coach) -> None:  # type: ignore[no-untyped-def]
    yes = json.dumps({"verdict": "pass", "evidence": QUOTE})
    no = json.dumps({"verdict": "fail", "evidence": QUOTE})
    v = judge(make_coach, yes, no, yes).on_principle(
        "I blamed marketing", "Which part was yours?", "ownership"
    )
    assert v.verdict == "pass" and v.evidence == QUOTE and v.votes == ("pass", "fail", "pass")


def test_judge_evidence_must_be_in_the_principle(make_coach) -> None:  # type: ignore[no-untyped-def]
    made_up = json.dumps({"verdict": "pass", "evidence": "leaders always win"})
    v = judge(make_coach, made_up, made_up, made_up).on_principle("x", "y?", "ownership")
    assert v.verdict == JUDGE_ERROR


def test_judge_garbage_is_an_error_not_a_verdict(make_coach) -> None:  # type: ignore[no-untyped-def]
    ok = json.dumps({"verdict": "fail", "evidence": QUOTE})
    v = judge(make_coach, "sure, it passes!", "{broken", ok).on_principle("x", "y?", "ownership")
    assert v.verdict == JUDGE_ERROR


def test_markdown_summary_has_a_column_per_tier() -> None:
    from coach.evaluation.report import markdown

    gate = Gate(0.9)
    a = TierRun("scripted", metrics={"form.no_advice": Metric("form.no_advice", 5, 1.0, gate)})
    b = TierRun("openai", metrics={"form.no_advice": Metric("form.no_advice", 5, 0.8, gate)})
    md = markdown([a, b])
    assert "| metric | n | gate | scripted | openai |" in md
    assert "| form.no_advice | 5 | >= 0.9 | 1.000 PASS | 0.800 **FAIL** |" in md
