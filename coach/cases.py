"""The evals case schema (one JSON object per line) and a loader that names the bad line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.behavior import Behavior
from coach.datafiles import first_problem
from coach.errors import CoachError

Category = Literal["reflection", "multi_turn", "off_topic", "injection", "crisis", "challenge"]


class CaseFileError(CoachError, ValueError):
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
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CaseFileError(f"Dataset not found: {path}.") from None
    except UnicodeDecodeError:
        raise CaseFileError(f"Dataset {path} is not UTF-8 text.") from None
    cases: list[Case] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = Case.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise CaseFileError(f"{path}:{number}: not valid JSON ({exc.msg}).") from None
        except ValidationError as exc:
            loc, msg = first_problem(exc)
            raise CaseFileError(f"{path}:{number}: {loc or 'line'}: {msg}.") from None
        if case.turns[-1].role != "user":
            raise CaseFileError(f"{path}:{number}: the last turn must be a user turn.")
        cases.append(case)
    return cases
