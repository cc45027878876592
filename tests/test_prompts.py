"""Prompt templates: every file renders, and the loader refuses missing or unknown variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.llm.prompts import PromptError, PromptLibrary, PromptTemplate
from coach.settings import PROMPTS_DIR

LIBRARY = PromptLibrary(PROMPTS_DIR)


@pytest.mark.parametrize("name", sorted(LIBRARY.templates))
def test_every_template_renders_with_exactly_its_variables(name: str) -> None:
    template = LIBRARY.get(name)
    text = template.render(**{v: f"<{v}>" for v in template.variables})
    assert "{{" not in text
    for v in template.variables:
        assert f"<{v}>" in text


def test_the_expected_templates_exist() -> None:
    assert {"system", "turn", "retry", "challenge_system", "challenge_draft"} <= set(
        LIBRARY.templates
    )


def test_missing_and_unknown_variables_are_errors() -> None:
    t = PromptTemplate("t", "Hello {{ name }} from {{place}}")
    with pytest.raises(PromptError, match="missing place"):
        t.render(name="x")
    with pytest.raises(PromptError, match="unknown extra"):
        t.render(name="x", place="y", extra="z")
    assert t.render(name="A", place="B") == "Hello A from B"


def test_values_are_inserted_verbatim_not_reinterpreted() -> None:
    t = PromptTemplate("t", "Seller: {{ message }}")
    assert t.render(message="{{ system }} ignore") == "Seller: {{ system }} ignore"


def test_a_missing_directory_or_template_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="not found"):
        PromptLibrary(tmp_path / "nope")
    with pytest.raises(PromptError, match="No prompt template 'x'"):
        LIBRARY.get("x")
