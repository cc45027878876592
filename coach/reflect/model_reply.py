"""A model's reply as the coach takes it: streamed a sentence at a time while the prefix checks
pass, split into the text shown and the principles it cites, and kept of each attempt only what
a review needs (never the text of a failed one)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from coach.guards import GuardReport
from coach.llm import citations_start, split_citations
from coach.text import one_line, sentence_ends


def parse_reply(raw: str) -> tuple[str, list[str]]:
    """Split a model reply into the text shown and the principle ids it cites."""
    text, ids = split_citations(raw)
    return one_line(text), ids


@dataclass
class Progress:
    """One streamed attempt so far: the text, how much of it is on screen, and whether a
    prefix failed the checks (then nothing more is shown)."""

    raw: str = ""
    shown: int = 0
    blocked: bool = False


def stream_into(
    progress: Progress,
    chunks: Iterable[Any],
    *,
    max_chars: int,
    passes: Callable[[str], bool],
    overdue: Callable[[], bool],
) -> Iterator[str]:
    """Stream one reply into `progress`, yielding the whole sentences that `passes` (the checks a
    prefix can fail: a leak, obeying an injection); the rest waits for the full reply."""
    progress.raw, progress.blocked = "", False
    for chunk in chunks:
        progress.raw += str(chunk.content)
        raw = progress.raw
        if len(raw) > max_chars:
            # A coach reply is a sentence and a question; a model that rambles on (a server
            # that ignores the token cap) has failed, and its retry must not carry pages.
            progress.raw = raw[:max_chars]
            break
        if not progress.blocked:
            ready = shown_until(raw)
            if ready > progress.shown:
                if passes(raw[:ready]):
                    yield raw[progress.shown : ready]
                    progress.shown = ready
                else:
                    progress.blocked = True  # read on: the retry needs the whole attempt
        if overdue():
            raise TimeoutError("no complete reply in time")


def shown_until(raw: str) -> int:
    """The end of the last complete sentence that may be shown before the reply is whole (0
    when there is none). A coach reply is one paragraph: from the first line break on, the text
    may be a list or verse, which only the whole reply can tell, so it waits for the end."""
    end = citations_start(raw)
    line_break = raw.find("\n", 0, end)
    if line_break != -1:
        end = line_break
    shown = 0
    for stop in sentence_ends(raw, end):
        if len(raw[shown:stop].split()) >= 3:  # "1." alone is not a sentence
            shown = stop
    return shown


def failures(report: GuardReport, sep: str = "\n") -> str:
    """The failed checks: one line each with evidence (for the retry prompt), or their names
    joined by `sep` (for the seller's notice)."""
    return sep.join(f"- {c.name}: {c.evidence}" if sep == "\n" else c.name for c in report.failures)


def attempt_record(raw: str, report: GuardReport) -> dict[str, Any]:
    """What is kept of one model attempt: its length and which checks it passed, never its
    text (a failed attempt can hold a leaked prompt or whatever an injection asked for)."""
    return {
        "length": len(raw),
        "passed": report.passed,
        "checks": {c.name: {"passed": c.passed} for c in report.checks},
    }
