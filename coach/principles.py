"""The principle set: loaded from YAML, validated, and checked against its source text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.datafiles import DataFileError, parse_data_file, read_data_file
from coach.text import one_line

Stage = Literal["explore", "deepen", "commit"]


class PrincipleFileError(DataFileError):
    """The principle file is missing, unreadable or not in the expected shape."""


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=5)
    stage: Stage = "explore"


class Principle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str = Field(min_length=3)
    source_quote: str = Field(min_length=10)
    meaning: str = Field(min_length=20)
    signals: tuple[str, ...] = Field(min_length=10)
    questions: tuple[Question, ...] = Field(min_length=8)

    @field_validator("questions", mode="before")
    @classmethod
    def _plain_strings_are_explore_questions(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str) else v for v in value]
        return value

    def questions_for(self, stage: Stage) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.stage == stage)


class PrincipleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="Source text, relative to the principle file.")
    mirror_question: str = "How have you practiced leadership this quarter?"
    principles: tuple[Principle, ...] = Field(min_length=1)


@dataclass(frozen=True)
class PrincipleSet:
    """The principles in file order, their source text, and a fingerprint of the file."""

    principles: tuple[Principle, ...]
    source_text: str
    mirror_question: str
    path: Path
    sha256: str
    _by_id: dict[str, Principle] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.principles})

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.principles)

    def get(self, principle_id: str) -> Principle:
        try:
            return self._by_id[principle_id]
        except KeyError:
            raise KeyError(f"unknown principle id {principle_id!r}") from None

    def __contains__(self, principle_id: object) -> bool:
        return principle_id in self._by_id


def quote_in_source(quote: str, source_text: str) -> bool:
    """Whether the quote is in the source; a quote may wrap across lines or paragraphs."""
    return one_line(quote) in one_line(source_text)


def load_principles(path: Path) -> PrincipleSet:
    """Read and validate a principle file; raises PrincipleFileError with one clear sentence."""
    raw = read_data_file(path, "Principle file", PrincipleFileError)
    parsed = parse_data_file(raw, path, PrincipleFile, "Principle file", PrincipleFileError)

    seen: set[str] = set()
    for p in parsed.principles:
        if p.id in seen:
            raise PrincipleFileError(f"Principle file {path} repeats the id {p.id!r}.")
        seen.add(p.id)

    source_path = (path.parent / parsed.source).resolve()
    try:
        source_text = source_path.read_text(encoding="utf-8")
    except OSError:
        raise PrincipleFileError(
            f"Source text {source_path} named in {path} cannot be read."
        ) from None
    for p in parsed.principles:
        if not quote_in_source(p.source_quote, source_text):
            raise PrincipleFileError(
                f"The source_quote of {p.id!r} in {path} is not in {source_path.name}."
            )

    # The fingerprint covers the source too: the index stores quotes from both.
    digest = hashlib.sha256(raw + b"\0" + source_text.encode("utf-8")).hexdigest()
    return PrincipleSet(
        principles=parsed.principles,
        source_text=source_text,
        mirror_question=parsed.mirror_question,
        path=path,
        sha256=digest,
    )
