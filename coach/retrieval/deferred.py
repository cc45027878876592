"""A `ChunkSearch` whose Chroma index opens on a background thread, for the app.

Importing chromadb and opening the embedded index is most of a second, and the app's first
page needs neither: nothing is looked up until the seller sends a message. The app starts the
opening once its first page is drawn; a search that comes first waits for it. If Chroma cannot
be opened at all, the verified snapshot of the same index answers: its rankings equal
Chroma's (tests/test_snapshot.py), so a seller is never stopped by a broken index.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.retrieval.search import ChunkMatch, ChunkSearch

log = logging.getLogger(__name__)


class DeferredChunkSearch:
    """Chroma once it is open; the snapshot when it cannot be."""

    def __init__(self, open_chroma: Callable[[], ChunkSearch], snapshot: ChunkSearch) -> None:
        self._open_chroma = open_chroma
        self.snapshot = snapshot
        self._chroma: ChunkSearch | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.failure: str | None = None  # why Chroma could not be opened, once known

    def start(self) -> None:
        """Begin opening Chroma in the background (again: nothing)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._open, name="chroma-open", daemon=True)
                self._thread.start()

    def _open(self) -> None:
        try:
            self._chroma = self._open_chroma()
        except Exception as exc:  # the snapshot holds the same index: search it instead
            self.failure = f"{type(exc).__name__}: {exc}"
            log.warning("Chroma could not be opened; searching its snapshot (%s)", self.failure)

    @property
    def backend(self) -> str:
        """Which index answers searches: "chroma", "snapshot" (Chroma failed) or "opening"."""
        if self._chroma is not None:
            return "chroma"
        return "snapshot" if self.failure else "opening"

    def search(self, texts: Sequence[str]) -> list[list[ChunkMatch]]:
        self.start()
        assert self._thread is not None
        self._thread.join()
        return (self._chroma or self.snapshot).search(texts)
