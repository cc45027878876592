"""Reading the data files: YAML in a pydantic schema (principles, safety, guards, coaching script,
listening, challenge, review, understanding, eval thresholds and personas) and JSON Lines."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, RootModel, ValidationError

from coach.errors import CoachError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

# libyaml's parser is ~15x faster than the pure-Python one; it matters for a CLI that starts a
# fresh process per call. Fall back when PyYAML was built without it.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YAMLError = yaml.YAMLError


def parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader, C or Python


def first_problem(exc: ValidationError) -> tuple[str, str]:
    """Where a data file first breaks its schema, and how: ("principles.0.id", "...")."""
    first = exc.errors()[0]
    return ".".join(str(part) for part in first["loc"]), str(first["msg"])


class DataFileError(CoachError, ValueError):
    """A data file is missing, unreadable, not YAML, or not in its schema."""


def read_data_file(path: Path, what: str, error: type[CoachError] = DataFileError) -> bytes:
    """A data file's bytes; one sentence naming the problem if it is missing or unreadable."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error(f"{what} not found: {path}.") from None
    except IsADirectoryError:
        raise error(f"{what} {path} is a folder, not a file.") from None
    except OSError as exc:
        raise error(f"{what} {path} cannot be read ({exc.strerror or exc}).") from None


def parse_data_file(
    raw: bytes, path: Path, schema: type[M], what: str, error: type[CoachError] = DataFileError
) -> M:
    """A data file's bytes as YAML in its schema; one sentence naming the problem if not."""
    try:
        data = parse_yaml(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text.") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise error(f"{what} {path} is not valid YAML{where}.") from None
    if data is None:
        raise error(f"{what} {path} is empty.")
    if not issubclass(schema, RootModel) and not isinstance(data, dict):
        raise error(f"{what} {path} must be a mapping of names to values.")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        loc, msg = first_problem(exc)
        raise error(f"{what} {path} is invalid at {loc or 'the top'}: {msg}.") from None


def load_data_file(
    path: Path, schema: type[M], what: str, error: type[CoachError] = DataFileError
) -> M:
    """Read a YAML data file into its pydantic schema; one sentence naming the problem if not.

    `what` opens the sentence ("Guard file"); `error` is the caller's CoachError subclass."""
    return parse_data_file(read_data_file(path, what, error), path, schema, what, error)


def build_from_data_file(
    path: Path,
    schema: type[M],
    what: str,
    build: Callable[[M], T],
    error: type[CoachError] = DataFileError,
) -> T:
    """`build` from a data file loaded by `load_data_file`: a pattern that does not compile
    (named), or a ValueError `build` raises, is one sentence naming the file too."""
    spec = load_data_file(path, schema, what, error)
    try:
        return build(spec)
    except re.error as exc:
        reason = f"bad pattern {exc.pattern!r}: {exc}"
        raise error(f"{what} {path} cannot be used: {reason}.") from None
    except ValueError as exc:
        raise error(f"{what} {path} cannot be used: {str(exc).rstrip('.')}.") from None


def jsonl_rows(
    path: Path, what: str, error: type[CoachError] = DataFileError
) -> list[tuple[int, dict[str, Any]]]:
    """Each object of a JSON Lines file, with its line number (blank lines skipped); a bad file
    or line is one sentence naming the file, and the line."""
    raw = read_data_file(path, what, error)
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text.") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{path}:{number}: not valid JSON ({exc.msg}).") from None
        except RecursionError:
            raise error(f"{path}:{number}: not valid JSON (nested too deep).") from None
        if not isinstance(row, dict):
            raise error(f"{path}:{number}: each line must be a JSON object.")
        rows.append((number, row))
    return rows


def jsonl_models(
    path: Path, schema: type[M], what: str, error: type[CoachError] = DataFileError
) -> list[tuple[int, M]]:
    """Each line of a JSON Lines file in its pydantic schema, with its line number."""
    out: list[tuple[int, M]] = []
    for number, row in jsonl_rows(path, what, error):
        try:
            out.append((number, schema.model_validate(row)))
        except ValidationError as exc:
            loc, msg = first_problem(exc)
            raise error(f"{path}:{number}: {loc or 'line'}: {msg}.") from None
    return out


def read_jsonl(
    path: Path, what: str, error: type[CoachError] = DataFileError
) -> list[dict[str, Any]]:
    """Read a JSON Lines file of objects; one sentence naming the file and line if one is bad."""
    return [row for _, row in jsonl_rows(path, what, error)]
