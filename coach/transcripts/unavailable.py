"""The store to use when the real one cannot be opened (a damaged database, a read-only disk):
every call says why in one sentence, so the coach still coaches and each page says what it
cannot show, instead of the whole app refusing to start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from coach.transcripts.model import StoreError


class UnavailableStore:
    def __init__(self, reason: str, location: str = "(not available)") -> None:
        self.reason = reason
        self.location = location

    def __getattr__(self, name: str) -> Callable[..., NoReturn]:
        def refuse(*args: Any, **kwargs: Any) -> NoReturn:
            raise StoreError(self.reason)

        return refuse
