"""A transcript store that refuses what it is told to, as a full disk or a locked database
does: a real SQLite store underneath, so what it accepts can be read back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coach.transcripts import SqlTranscriptStore, StoreError


class RefusingStore:
    def __init__(self, store: SqlTranscriptStore, reason: str = "The disk is full.") -> None:
        self.store = store
        self.reason = reason
        self.refuse: set[str] = set()  # method names that raise StoreError, changed mid-test
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if name in self.refuse:
                raise StoreError(self.reason)
            return method(*args, **kwargs)

        return call
