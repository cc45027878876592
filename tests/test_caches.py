"""What a fresh process keeps from the last one, and that it gives the same answers as a
process that kept nothing: compiled patterns and the inputs of the fitted classifiers."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from coach.datafiles import parse_yaml
from coach.retrieval.cache import VectorCache, files_digest
from coach.settings import Settings
from coach.text.classifier import LinearClassifier
from coach.text.patterns import PatternStore

SAFETY = Settings().safety_path


def _all_patterns(node: object) -> list[str]:
    """Every pattern of the safety file, wherever it sits."""
    if isinstance(node, dict):
        out = []
        for key, value in node.items():
            if key in {"patterns", "concern_patterns", "false_alarms", "addressed", "pattern"}:
                out += [value] if isinstance(value, str) else list(value)
            elif key.startswith("check_in_") and isinstance(value, list):
                out += value
            else:
                out += _all_patterns(value)
        return out
    if isinstance(node, list):
        return [p for item in node for p in _all_patterns(item)]
    return []


def test_remembered_patterns_are_the_patterns_re_compiles(tmp_path: Path) -> None:
    patterns = _all_patterns(parse_yaml(SAFETY.read_text(encoding="utf-8")))
    assert len(patterns) > 300
    first = PatternStore(tmp_path, "safety")
    compiled = first.compile_all(patterns, re.IGNORECASE)
    first.save()
    again = PatternStore(tmp_path, "safety")
    assert len(again._known) == len(set(patterns))  # the second process reads them all back
    remembered = again.compile_all(patterns, re.IGNORECASE)
    # Pattern equality compares the pattern, its flags and its compiled code.
    assert remembered == compiled == [re.compile(p, re.IGNORECASE) for p in patterns]
    text = "I can't do this anymore, I want to end my life tonight"
    assert [bool(p.search(text)) for p in remembered] == [bool(p.search(text)) for p in compiled]


def test_a_damaged_pattern_file_means_compiling_as_usual(tmp_path: Path) -> None:
    store = PatternStore(tmp_path, "t")
    store.compile(r"\bend (it|my life)\b", re.IGNORECASE)
    store.save()
    assert store.path is not None
    digest, payload = store.path.read_text().split("\n", 1)
    store.path.write_text(digest + "\n" + payload.replace("[", "[9,", 1))  # one number more
    again = PatternStore(tmp_path, "t")
    assert again._known == {}
    assert again.compile(r"\bend (it|my life)\b", re.IGNORECASE).search("I will END IT")


def test_a_bad_pattern_is_one_sentence(tmp_path: Path) -> None:
    from coach.safety import SafetyFileError, SafetyRules

    spec = parse_yaml(SAFETY.read_text(encoding="utf-8"))
    spec["crisis"]["patterns"].append("(unclosed")
    bad = tmp_path / "safety.yaml"
    bad.write_text(yaml.safe_dump(spec))
    with pytest.raises(SafetyFileError, match=r"bad pattern '\(unclosed'"):
        SafetyRules.load(bad, PatternStore(tmp_path, "safety"))


def test_weights_are_found_from_their_inputs_without_reading_the_examples(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    source = tmp_path / "training.txt"
    source.write_text("v1")
    examples = {"no": ["fine thanks", "all good"], "yes": ["not fine", "awful week"]}

    def never() -> dict[str, list[str]]:
        raise AssertionError("the examples were read although their inputs are unchanged")

    def train(given, inputs: str) -> LinearClassifier:  # type: ignore[no-untyped-def]
        return LinearClassifier.trained("t", given, None, cache, "enc", inputs=inputs)

    fitted = train(lambda: examples, files_digest([source]))
    loaded = train(never, files_digest([source]))
    assert loaded.classes == fitted.classes == ("no", "yes")
    assert np.array_equal(loaded.words, fitted.words) and np.array_equal(loaded.bias, fitted.bias)
    source.write_text("v2")  # the inputs changed: the examples are read again
    calls = []
    train(lambda: calls.append(1) or examples, files_digest([source]))
    assert calls == [1]
    assert len(list(tmp_path.glob("t-from-*.json"))) == 1  # the old note is gone


def test_guards_from_remembered_patterns_are_the_same_guards(tmp_path: Path) -> None:
    from coach.guards import Guards

    path = Settings().guards_path
    plain = Guards.load(path)
    Guards.load(path, PatternStore(tmp_path, "guards"))  # the first process notes the code
    store = PatternStore(tmp_path, "guards")
    assert store._known  # the second reads it back
    again = Guards.load(path, store)
    lists = [k for k, v in vars(plain).items() if isinstance(v, list)]
    assert len(lists) >= 10
    for name in lists:
        assert getattr(again, name) == getattr(plain, name), name
