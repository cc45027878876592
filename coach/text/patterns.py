"""Compiled regular expressions kept on disk, so a fresh process does not parse them again.

Why: `re` parses a pattern in Python, and the safety file's few hundred patterns took 0.06 s of
every fresh `coach reply` (a tenth of it) to parse into the same code each time. A compiled
pattern is that code, so this keeps it: the first process compiles as usual and notes each
pattern's code; later ones hand the code straight to the regular expression engine (`_sre`,
`re`'s own C half) in about 3 ms for all of them. The result is the same object `re.compile`
returns: `Pattern.__eq__` compares the code, and a test holds every pattern of the data files
to it.

The file (JSON) is keyed by the Python version and the engine's MAGIC (the code format),
carries a checksum of its contents, and is written whole or not at all; anything else (a
damaged file, another Python) simply means compiling as usual.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:  # CPython's engine and its compiler, used the way re._compiler.compile uses them
    _sre: Any = importlib.import_module("_sre")
    _parser: Any = importlib.import_module("re._parser")
    _compiler: Any = importlib.import_module("re._compiler")
except ImportError:  # another interpreter: compile as usual
    _sre = None

# The final flags, the code, the group count, group names -> numbers, numbers -> names.
_Parts = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]


def _parts(pattern: str, flags: int) -> _Parts:
    """What `re._compiler.compile` hands to `_sre.compile`, as plain values."""
    tree = _parser.parse(pattern, flags)
    code = [int(c) for c in _compiler._code(tree, flags)]
    names = {str(k): int(v) for k, v in tree.state.groupdict.items()}
    index: list[str | None] = [None] * tree.state.groups
    for name, number in names.items():
        index[number] = name
    return int(flags | tree.state.flags), code, tree.state.groups - 1, names, tuple(index)


class PatternStore:
    """Patterns compiled from one data file, remembered in `directory` under `name`."""

    def __init__(self, directory: Path | None, name: str) -> None:
        version = f"{sys.implementation.cache_tag}-{getattr(_sre, 'MAGIC', 0)}"
        self.path = (
            None
            if directory is None or _sre is None
            else (directory / f"patterns-{name}-{version}.json")
        )
        self._known: dict[tuple[str, int], _Parts] = self._read()
        self._used: dict[tuple[str, int], _Parts] = {}

    def _read(self) -> dict[tuple[str, int], _Parts]:
        if self.path is None:
            return {}
        try:
            digest, payload = self.path.read_text(encoding="utf-8").split("\n", 1)
            if hashlib.sha256(payload.encode()).hexdigest() != digest:
                return {}
            return {
                (pattern, flags): (final, code, groups, names, tuple(index))
                for pattern, flags, final, code, groups, names, index in json.loads(payload)
            }
        except (OSError, ValueError, TypeError):  # missing, damaged, another shape
            return {}

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern[str]:
        """`re.compile(pattern, flags)`, from the remembered code when there is some."""
        if self.path is None:
            return re.compile(pattern, flags)
        key = (pattern, flags)
        parts = self._known.get(key)
        if parts is not None:
            try:
                compiled: re.Pattern[str] = _sre.compile(pattern, *parts)
                self._used[key] = parts
                return compiled
            except Exception:  # noqa: S110  (any doubt: compile as usual, below)
                pass
        compiled = re.compile(pattern, flags)  # raises re.error for a bad pattern, as usual
        self._used[key] = _parts(pattern, flags)
        return compiled

    def compile_all(self, patterns: Sequence[str], flags: int = 0) -> list[re.Pattern[str]]:
        return [self.compile(p, flags) for p in patterns]

    def save(self) -> None:
        """Keep the code of the patterns compiled since this store was opened (and only those:
        patterns since removed from the file drop out). Nothing to do when nothing changed."""
        if self.path is None or self._used == self._known:
            return
        rows = [[p, f, *parts] for (p, f), parts in self._used.items()]
        payload = json.dumps(rows, separators=(",", ":"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(f"{hashlib.sha256(payload.encode()).hexdigest()}\n{payload}", "utf-8")
            tmp.replace(self.path)  # atomic: another process reads the old file or this one
            self._known = dict(self._used)
        except OSError:
            pass  # a read-only cache costs speed, not correctness
