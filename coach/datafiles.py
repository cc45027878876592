"""Reading the YAML data files (principles, safety, guards, coaching script)."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

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
