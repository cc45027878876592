"""The evals suite: run the coach over labelled cases, score it with the shared checks, gate it.

`coach eval` is the entry point (coach/cli.py); datasets live in evals/datasets, gates in
evals/thresholds.yaml, hand-labelled replies for measuring the scorers in evals/calibration.
"""
