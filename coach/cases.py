"""The evals case schema (one JSON object per line) and a loader that names the bad line."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.behavior import Behavior
from coach.datafiles import DataFileError, jsonl_models

Category = Literal["reflection", "multi_turn", "off_topic", "injection", "crisis", "challenge"]


class CaseFileError(DataFileError):
    """A dataset file is missing or has a bad line."""


class Turn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["user", "assistant"]
    content: str


class Case(BaseModel):
    # Extra fields are allowed and ignored by the runner, but kept for reports (e.g. channel).
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    category: Category
    turns: list[Turn] = Field(min_length=1)
    gold_principles: list[str] = Field(default_factory=list)
    expected_behavior: Behavior

    @property
    def last_user_text(self) -> str:
        for turn in reversed(self.turns):
            if turn.role == "user":
                return turn.content
        return ""


def load_cases(path: Path) -> list[Case]:
    """Read one JSONL dataset; a bad line raises CaseFileError naming the file and line."""
    cases: list[Case] = []
    for number, case in jsonl_models(path, Case, "Dataset", CaseFileError):
        if case.turns[-1].role != "user":
            raise CaseFileError(f"{path}:{number}: the last turn must be a user turn.")
        cases.append(case)
    return cases
