"""An exclusive lock between processes, held on a file next to what it guards.

Eight processes started together on an empty data dir used to race: two built the Chroma
collection ("Collection already exists"), one wiped the index under another, and two created
the transcript tables ("table sessions already exists"). Whoever holds the lock builds; the
others wait, then find the work done.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if need be) for the block."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        # A read-only place: nobody can be writing there, so there is nothing to guard against,
        # and what follows reports the read-only disk in its own words.
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when the file is closed, even on a crash
        yield
    finally:
        os.close(fd)
