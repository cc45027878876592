"""The files a run reads: the datasets, the thresholds file (gates and dataset lists),
recorded replies, the simulated sellers and the hand-labelled calibration replies, each
checked with the file (and line) named in every error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, RootModel

from coach.cases import Case, CaseFileError, load_cases
from coach.datafiles import jsonl_rows, load_data_file, read_jsonl
from coach.errors import CoachError
from coach.evaluation.gates import Gate
from coach.settings import DATA_DIR, PROJECT_ROOT

CALIBRATION_DIR = PROJECT_ROOT / "evals" / "calibration"


class EvalInputError(CoachError, ValueError):
    """A dataset, replies file or thresholds file that cannot be used."""


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


class _Personas(RootModel[list[dict[str, Any]]]):
    """The simulated sellers, as the evaluator reads them (id, turns, gold_principles)."""


def load_personas() -> list[dict[str, Any]]:
    return load_data_file(
        DATA_DIR / "personas.yaml", _Personas, "Personas file", EvalInputError
    ).root


def load_calibration(folder: Path = CALIBRATION_DIR) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        rows += read_jsonl(path, "Calibration file", EvalInputError)
    return rows
