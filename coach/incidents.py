"""Unexpected errors: the person sees one sentence with a short reference; the traceback goes to
a log file under the data dir, where whoever looks after the coach can find it by that reference.

The log holds the traceback only, never the message being answered: reflections are personal,
and a traceback's own text is enough to find the bug.
"""

from __future__ import annotations

import secrets
import traceback
from datetime import UTC, datetime
from pathlib import Path

LOG_NAME = "errors.log"


def log_dir(data_dir: Path | None = None) -> Path:
    if data_dir is None:
        from coach.settings import load_settings

        try:
            data_dir = load_settings().data_dir
        except Exception:  # the settings are what failed: the default place
            data_dir = Path(".coach")
    return data_dir / "logs"


def record(exc: BaseException, data_dir: Path | None = None) -> str:
    """Write the traceback to the log; return the reference the person is shown."""
    ref = secrets.token_hex(3).upper()
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(exc))
    try:
        folder = log_dir(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOG_NAME
        with path.open("a", encoding="utf-8", errors="replace") as f:
            f.write(f"--- {stamp} ref {ref}\n{text}\n")
        path.chmod(0o600)
    except OSError:
        pass  # a read-only disk must not turn one error into two; the reference still helps
    return ref


def sentence(ref: str, what: str = "Something went wrong") -> str:
    return (
        f"{what} (reference {ref}). Nothing you wrote is lost; try again, and if it keeps "
        f"happening, share the reference with whoever runs the coach (details in logs/{LOG_NAME})."
    )
