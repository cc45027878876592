"""Reading the YAML data files (principles, safety, guards, coaching script)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from coach.errors import CoachError

M = TypeVar("M", bound=BaseModel)

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
    """A data file is missing, not YAML, or not in its schema."""


def load_data_file(path: Path, schema: type[M], what: str) -> M:
    """Read a YAML data file into its pydantic schema; one sentence naming the problem if not."""
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(f"{what} not found: {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{what} {path} cannot be read ({exc}).") from None
    except YAMLError:
        raise DataFileError(f"{what} {path} is not valid YAML.") from None
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        loc, msg = first_problem(exc)
        raise DataFileError(f"{what} {path} is invalid at {loc or 'the top'}: {msg}.") from None


def read_jsonl(path: Path, what: str) -> list[dict[str, Any]]:
    """Read a JSON Lines file of objects; one sentence naming the file and line if one is bad."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataFileError(f"{what} not found: {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{what} {path} cannot be read ({exc}).") from None
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise DataFileError(f"{path}:{number}: not valid JSON ({exc}).") from None
        if not isinstance(row, dict):
            raise DataFileError(f"{path}:{number}: each line must be a JSON object.")
        rows.append(row)
    return rows
