"""Sentences, questions and plain forms of text: the one place the packages that read messages
and replies split them, find their questions and normalise them.

Only `re`: the guards, the reader and the triage import it on every start, and the CLI answers
in under a second partly because nothing here pulls in numpy or a model.

The sentence splitters differ, and each caller names its variant (`marks`, `closers`, `lines`):
they grew apart in the modules that call them, and the figures the evals gate on were measured
with each. One splitter for all would change what the guards, the triage or retrieval read.

- A coach reply (`reply_sentences`, for the guards, the challenge and the review): `.!?…`, with
  closing quotes and brackets after the mark part of the break; a line break does not end one.
- A seller's message for the triage: `.!?;…` and every line break.
- A text to retrieve principles for: `.!?;` and every line break.
- A seller's message for the reader (`message_sentences`): `.!?` and every line break.
- The scripted coach's reading of a message, and a first sentence: `.!?` alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

# What may close a sentence after its mark: quotes and brackets ("...did it land?" she asked).
CLOSERS = "\"”’')]"

# Quoted speech: an opening quote after a non-letter, a closing quote before a non-letter, so the
# apostrophes in "you're" or "sellers'" are never mistaken for quotes.
_QUOTED = re.compile(r"(?<![\w])[\"“‘']([^\"“”‘’]{2,}?)[\"”’'](?![\w])")
# A reply's sentence that is complete once a space follows it (the marks and closers of
# `reply_sentences`), for showing a reply while it streams.
_DONE = re.compile(f"[.!?…][{re.escape(CLOSERS)}]*(?= )")
_QUESTION_WORDS = re.compile(r"[a-z0-9']+")


@cache
def _breaks(marks: str, closers: bool, lines: bool) -> re.Pattern[str]:
    after = f"[{re.escape(CLOSERS)}]*" if closers else ""
    return re.compile(f"(?<=[{re.escape(marks)}]){after}\\s+" + (r"|\n+" if lines else ""))


def split_sentences(
    text: str, *, marks: str = ".!?", closers: bool = False, lines: bool = False
) -> list[str]:
    """The text's sentences, stripped: broken after `marks` (and `closers`), and at `lines`."""
    return [s.strip() for s in _breaks(marks, closers, lines).split(text.strip()) if s.strip()]


def first_sentence(text: str) -> str:
    """The text up to its first `.!?` and the space after it ("" for no text)."""
    return _breaks(".!?", False, False).split(text.strip(), maxsplit=1)[0]


def reply_sentences(text: str) -> list[str]:
    """A coach reply's sentences (see the module docstring)."""
    return split_sentences(text, marks=".!?…", closers=True)


def message_sentences(text: str) -> list[str]:
    """A seller's message's sentences as the reader reads them (a lone carriage return: a space)."""
    return split_sentences(text.replace("\r", " "), lines=True)


def sentence_ends(text: str, end: int) -> Iterator[int]:
    """Where each reply sentence that a space follows ends, in text[:end]."""
    return (m.end() for m in _DONE.finditer(text, 0, end))


def strip_quotes(text: str) -> str:
    """The text with quoted words removed: a seller's own 'I should have...' is not advice."""
    return _QUOTED.sub(" ", text)


def quoted(text: str) -> list[str]:
    """The words inside each pair of quotes in the text."""
    return _QUOTED.findall(text)


def is_question(sentence: str, closers: str = CLOSERS) -> bool:
    """Whether the sentence ends with a question mark, before any of `closers`."""
    return sentence.rstrip(closers).endswith("?")


def questions(text: str) -> list[str]:
    """A reply's question sentences, quoted speech excluded."""
    return [s for s in reply_sentences(strip_quotes(text)) if is_question(s)]


def asks(text: str) -> bool:
    """Whether anything in the text is asked: a question mark anywhere."""
    return "?" in text


def one_line(text: str) -> str:
    """The text with every run of whitespace, line breaks too, as one space; stripped."""
    return " ".join(text.split())


def normalize_question(text: str) -> str:
    """A question's identity for "never ask twice": lowercase words only."""
    return " ".join(_QUESTION_WORDS.findall(text.lower()))
