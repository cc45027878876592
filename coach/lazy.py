"""A package's public names, each imported with its own module on first use (PEP 562).

Why: a package's `__init__` should say what others may use, but importing every module of
`coach.llm` or `coach.retrieval` up front would load llama.cpp, the OpenAI SDK or Chroma into
processes that never use them (a fresh `coach reply` pays for what it uses and no more). So a
package lists its public names once, as imports under `if TYPE_CHECKING:` (what mypy and a
reader see), and `public()` reads that list from the `__init__` file and imports each name's
module only when the name is first asked for.

    if TYPE_CHECKING:
        from coach.llm.tiers import Tier, build_chat_model

    __all__, __getattr__ = public(__name__, __file__)
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path


def _names(init_file: str) -> dict[str, str]:
    """name -> module, from the imports under `if TYPE_CHECKING:` in the package's file."""
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                if isinstance(item, ast.ImportFrom) and item.module:
                    names.update({a.asname or a.name: item.module for a in item.names})
    return names


def public(package: str, init_file: str) -> tuple[list[str], Callable[[str], object]]:
    """The package's `__all__` and the module `__getattr__` that loads each name."""
    names = _names(init_file)

    def __getattr__(name: str) -> object:  # the name PEP 562 asks for
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # found once, then an ordinary attribute
        return value

    return sorted(names), __getattr__
