"""The principle corpus cannot drift from its source or from the canonical ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coach.principles import (
    PrincipleFileError,
    load_principles,
    quote_in_source,
)
from coach.settings import DATA_DIR
from coach.text.sentences import one_line as normalize_space

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "pivot-to-leadership.txt"
# The article's eleven principles, in its order: the ids every data file and eval names.
CANONICAL_IDS: tuple[str, ...] = (
    "elevate-others",
    "go-first",
    "eat-last",
    "ownership",
    "diversity-depth",
    "colleague-professionalism",
    "patient-builder",
    "two-jobs",
    "leadership-from-everyone",
    "mirror",
    "choice",
)
OPEN_STARTS = ("what", "how", "which", "where", "when", "who", "whose", "why", "looking", "if")


def test_ids_are_exactly_the_canonical_list(principles) -> None:
    assert principles.ids == CANONICAL_IDS


def test_every_quote_is_verbatim_in_the_article(principles) -> None:
    article = (DATA_DIR / "pivot-to-leadership.md").read_text(encoding="utf-8")
    for p in principles.principles:
        assert quote_in_source(p.source_quote, article), p.id


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed is outside this checkout")
def test_markdown_article_keeps_the_seed_words() -> None:
    seed = SEED.read_text(encoding="utf-8")
    md = (DATA_DIR / "pivot-to-leadership.md").read_text(encoding="utf-8")
    assert md.startswith("# The Pivot to Leadership\n")
    # Only the bullet glyphs differ: "•" in the seed, "-" in Markdown.
    words = lambda t: normalize_space(re.sub(r"^\s*[•\-#]\s*", "", t, flags=re.M))  # noqa: E731
    assert words(seed.split("\n", 1)[1]) == words(md.split("\n", 1)[1])


def test_each_principle_has_enough_signals_and_open_questions(principles) -> None:
    for p in principles.principles:
        assert len(p.signals) >= 10, p.id
        assert len(set(p.signals)) == len(p.signals), f"{p.id} repeats a signal"
        assert len(p.questions) >= 8, p.id
        assert {q.stage for q in p.questions} == {"explore", "deepen", "commit"}, p.id
        meaning_sentences = [s for s in re.split(r"(?<=[.!?])\s+", p.meaning) if s]
        assert 2 <= len(meaning_sentences) <= 4, p.id


def test_questions_are_single_open_questions(principles) -> None:
    for p in principles.principles:
        for q in p.questions:
            assert q.text.count("?") == 1 and q.text.endswith("?"), q.text
            assert q.text.lower().startswith(OPEN_STARTS), f"closed or odd opener: {q.text}"
            assert "should" not in q.text.lower(), f"advice, not a question: {q.text}"


def test_no_question_is_repeated_across_principles(principles) -> None:
    texts = [q.text for p in principles.principles for q in p.questions]
    assert len(texts) == len(set(texts))


def _write(tmp_path: Path, body: str, source: str = "As a leader, you lead.") -> Path:
    (tmp_path / "src.md").write_text(source, encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def _one_principle(quote: str = "As a leader, you lead.") -> str:
    signals = "\n".join(f"      - signal number {i}" for i in range(10))
    questions = "\n".join(f"      - What is question {i}?" for i in range(8))
    return (
        "source: src.md\nprinciples:\n  - id: lead\n    title: Lead\n"
        f"    source_quote: {quote!r}\n"
        "    meaning: Leading is a thing you do. It matters.\n"
        f"    signals:\n{signals}\n    questions:\n{questions}\n"
    )


def test_an_organisation_can_load_its_own_principles(tmp_path: Path) -> None:
    pset = load_principles(_write(tmp_path, _one_principle()))
    assert pset.ids == ("lead",)
    assert pset.get("lead").questions[0].stage == "explore"


def test_the_fingerprint_changes_with_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _one_principle())
    before = load_principles(path).sha256
    path.write_text(_one_principle().replace("It matters.", "It matters a lot."))
    assert load_principles(path).sha256 != before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("principles: [", "not valid YAML at line"),
        ("- just a list", "must be a mapping"),
        ("source: src.md\nprinciples: []\n", "invalid at principles"),
        (_one_principle().replace("id: lead", "id: Lead Me"), "invalid at principles.0.id"),
        (_one_principle(quote="Words the source never said."), "is not in src.md"),
        (_one_principle() + "    colour: blue\n", "invalid at principles.0.colour"),
    ],
)
def test_bad_principle_files_get_one_clear_sentence(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(PrincipleFileError, match=re.escape(message)):
        load_principles(_write(tmp_path, body))


def test_missing_principle_file(tmp_path: Path) -> None:
    with pytest.raises(PrincipleFileError, match="not found"):
        load_principles(tmp_path / "nope.yaml")
