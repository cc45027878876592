"""The evals suite: run the coach over labelled cases, score it with the shared checks, gate it.

`coach eval` is the entry point (coach/cli.py); datasets live in evals/datasets, gates in
evals/thresholds.yaml, hand-labelled replies for measuring the scorers in evals/calibration.
"""

from typing import TYPE_CHECKING

from coach.lazy import public

if TYPE_CHECKING:  # the public names; each loads with its module on first use
    from coach.evaluation.datasets import (
        dataset_lists as dataset_lists,
    )
    from coach.evaluation.listening import (
        load_sessions as load_sessions,
        run_listening as run_listening,
        write_cases as write_cases,
    )
    from coach.evaluation.report import (
        markdown as markdown,
        write_json as write_json,
        write_jsonl as write_jsonl,
        write_junit as write_junit,
    )
    from coach.evaluation.suite import (
        build_evaluator as build_evaluator,
        run_suite as run_suite,
    )

__all__, __getattr__ = public(__name__, __file__)
