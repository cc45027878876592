"""The run's progress bar on stderr."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line every 10% elsewhere."""

    def __init__(self, total: int, label: str, stream: Any = None) -> None:
        self.total, self.label, self.done = max(total, 1), label, 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_decile = -1

    def step(self) -> None:
        self.done += 1
        frac = self.done / self.total
        bar = "#" * int(frac * 30)
        if self.tty:
            self.stream.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif int(frac * 10) != self.last_decile:
            self.last_decile = int(frac * 10)
            self.stream.write(f"{self.label} [{bar:<30}] {self.done}/{self.total}\n")
