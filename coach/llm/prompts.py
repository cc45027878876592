"""Prompt templates as files, rendered by one strict loader.

Placeholders are `{{ name }}`. Rendering fails when a placeholder has no value or a value has no
placeholder, so a renamed variable cannot silently ship an empty prompt.
"""

from __future__ import annotations

import re
from pathlib import Path

from coach.errors import CoachError

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class PromptError(CoachError, ValueError):
    """A template is missing, or rendered with missing or unknown variables."""


class PromptTemplate:
    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.variables = frozenset(_PLACEHOLDER.findall(text))
        # The template's own words, without what fills it: what a reply must never repeat (a
        # model that echoes its instructions leaks them, whatever the canary says). Kept once:
        # every streamed prefix of a model reply is checked against it.
        self.fixed_text = "\n".join(p.strip() for p in _PLACEHOLDER.split(text)[::2] if p.strip())

    def render(self, **values: str) -> str:
        missing = self.variables - values.keys()
        unknown = values.keys() - self.variables
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(sorted(missing))}")
            if unknown:
                parts.append(f"unknown {', '.join(sorted(unknown))}")
            raise PromptError(f"Prompt {self.name!r}: {'; '.join(parts)}.")
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)


class PromptLibrary:
    """All templates of a prompts directory, loaded once."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise PromptError(f"Prompt directory not found: {directory}.")
        self.directory = directory
        self.templates = {
            p.stem: PromptTemplate(p.stem, p.read_text(encoding="utf-8"))
            for p in sorted(directory.glob("*.md"))
        }

    def get(self, name: str) -> PromptTemplate:
        try:
            return self.templates[name]
        except KeyError:
            raise PromptError(f"No prompt template {name!r} in {self.directory}.") from None

    def render(self, name: str, **values: str) -> str:
        return self.get(name).render(**values)
