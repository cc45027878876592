"""The `PRINCIPLE:` line a model closes its reply or draft with: the ids it cites, and the
text without it (the coach and the challenge both ask for the line and both read it here)."""

from __future__ import annotations

import re

# "PRINCIPLE: ownership", "**Principles**: go-first, eat-last", "principle = mirror".
_LINE = re.compile(r"^\s*\**principles?\**\s*[:=]\s*(.+?)\s*$", re.IGNORECASE | re.M)


def split_citations(raw: str) -> tuple[str, list[str]]:
    """The text without its `PRINCIPLE:` lines (stripped), and the principle ids they cite."""
    ids: list[str] = []
    for m in _LINE.finditer(raw):
        ids += [i.strip(" `*[]().'\"").lower() for i in re.split(r"[,\s]+", m.group(1))]
    return _LINE.sub("", raw).strip(), [i for i in ids if i]


def citations_start(raw: str) -> int:
    """Where the first `PRINCIPLE:` line starts; the text's length when there is none."""
    m = _LINE.search(raw)
    return m.start() if m else len(raw)
