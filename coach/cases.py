"""The evals case schema (one JSON object per line) and a loader that names the bad line.

A case's turns are `coach.turns.Turn`s. The dataset files write a turn as `{"role", "content"}`
(as chat APIs do); its "content" is the turn's text, and nothing else in it is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from coach.behavior import Behavior
from coach.datafiles import DataFileError, jsonl_models
from coach.turns import Turn

Category = Literal["reflection", "multi_turn", "off_topic", "injection", "crisis", "challenge"]


class CaseFileError(DataFileError):
    """A dataset file is missing or has a bad line."""


def _dataset_turn(value: object) -> object:
    """A dataset's `{"role", "content"}` as Turn's fields (other keys are not read); a problem
    with the "content" is named by that key, as the file has it."""
    if not isinstance(value, dict):
        return value
    if "content" not in value:
        raise PydanticCustomError("missing", 'Field required: "content"')
    if not isinstance(value["content"], str):
        raise PydanticCustomError("string_type", 'Input should be a valid string: "content"')
    fields = {"text": value["content"]}
    if "role" in value:
        fields["role"] = value["role"]
    return fields


class Case(BaseModel):
    # Extra fields are allowed and ignored by the runner, but kept for reports (e.g. channel).
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    category: Category
    turns: list[Annotated[Turn, BeforeValidator(_dataset_turn)]] = Field(min_length=1)
    gold_principles: list[str] = Field(default_factory=list)
    expected_behavior: Behavior

    @property
    def last_user_text(self) -> str:
        for turn in reversed(self.turns):
            if turn.role == "user":
                return turn.text
        return ""


def load_cases(path: Path) -> list[Case]:
    """Read one JSONL dataset; a bad line raises CaseFileError naming the file and line."""
    cases: list[Case] = []
    for number, case in jsonl_models(path, Case, "Dataset", CaseFileError):
        if case.turns[-1].role != "user":
            raise CaseFileError(f"{path}:{number}: the last turn must be a user turn.")
        cases.append(case)
    return cases
