"""A small on-disk cache for arrays derived from text (embeddings, classifier weights).

Keyed by a hash of everything the array depends on, so an edited data file or another encoder
simply misses the cache. It lives in the data directory, next to the index.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


def fingerprint(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:24]


def files_digest(paths: Iterable[Path], *parts: str) -> str:
    """A digest of the files' bytes and of `parts` (a missing file digests as missing)."""
    h = hashlib.sha256()
    for path in paths:
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(f"missing {path}".encode())
        h.update(b"\0")
    for part in parts:
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()[:24]


class VectorCache:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def load(self, name: str, key: str) -> NDArray[np.float32] | None:
        """The array stored under this key, or None."""
        if self.directory is None:
            return None
        try:
            cached: NDArray[np.float32] = np.load(
                self.directory / f"{name}-{key}.npy", allow_pickle=False
            )
            return cached
        except (OSError, ValueError):
            return None

    def recall(self, name: str, inputs: str) -> tuple[str, tuple[str, ...]] | None:
        """The key and labels `remember` noted for these inputs, or None."""
        if self.directory is None:
            return None
        try:
            note = json.loads((self.directory / f"{name}-from-{inputs}.json").read_text())
            return str(note["key"]), tuple(str(c) for c in note["classes"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def remember(self, name: str, inputs: str, key: str, classes: Sequence[str]) -> None:
        """Note which key the array fitted from these inputs has, so that a later process
        finds it without reading the inputs again."""
        if self.directory is None:
            return
        path = self.directory / f"{name}-from-{inputs}.json"
        try:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"key": key, "classes": list(classes)}))
            tmp.replace(path)
            for stale in self.directory.glob(f"{name}-from-*.json"):
                if stale != path:  # notes for inputs since edited are never read again
                    stale.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only cache costs speed, not correctness

    def get(
        self, name: str, key: str, compute: Callable[[], NDArray[np.float32]]
    ) -> NDArray[np.float32]:
        if self.directory is None:
            return compute()
        cached = self.load(name, key)
        if cached is not None:
            return cached
        path = self.directory / f"{name}-{key}.npy"
        value = compute()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, value, allow_pickle=False)
            tmp.replace(path)  # atomic: two processes never see half a file
        except OSError:
            pass  # a read-only data dir costs speed, not correctness
        return value
