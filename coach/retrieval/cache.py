"""A small on-disk cache for arrays derived from text (embeddings, classifier weights).

Keyed by a hash of everything the array depends on, so an edited data file or another encoder
simply misses the cache. It lives in the data directory, next to the index.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


def fingerprint(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:24]


class VectorCache:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def get(
        self, name: str, key: str, compute: Callable[[], NDArray[np.float32]]
    ) -> NDArray[np.float32]:
        if self.directory is None:
            return compute()
        path = self.directory / f"{name}-{key}.npy"
        try:
            cached: NDArray[np.float32] = np.load(path, allow_pickle=False)
            return cached
        except (OSError, ValueError):
            pass  # missing or unreadable: recompute
        value = compute()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, value, allow_pickle=False)
            tmp.replace(path)  # atomic: two processes never see half a file
        except OSError:
            pass  # a read-only data dir costs speed, not correctness
        return value
