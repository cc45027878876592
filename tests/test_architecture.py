"""The layout holds: a module outside a package uses only that package's public names.

A package's public names are its `__all__` (coach/<package>/__init__.py); what else it holds is
its own business and may change without telling anyone. Tests may reach inside (they pin the
insides' behaviour); the app, the CLI, the core and the benchmarks may not.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(p.parent.name for p in (ROOT / "coach").glob("*/__init__.py"))
CODE = sorted(
    [*(ROOT / "coach").rglob("*.py"), *(ROOT / "views").rglob("*.py"), ROOT / "app.py"]
    + sorted((ROOT / "benchmarks").glob("*.py"))
)


def _package_of(path: Path) -> str | None:
    parts = path.relative_to(ROOT).parts
    return parts[1] if parts[0] == "coach" and len(parts) > 2 else None


def _reach_ins(path: Path) -> list[str]:
    """The imports in `path` of another package's insides, as `line: what`."""
    own = _package_of(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [(node.module, [a.name for a in node.names])]
        elif isinstance(node, ast.Import):
            targets = [(a.name, []) for a in node.names]
        else:
            continue
        for module, names in targets:
            parts = module.split(".")
            if parts[0] != "coach" or len(parts) < 2 or parts[1] not in PACKAGES:
                continue
            if parts[1] == own:
                continue  # a package's modules use each other freely
            if len(parts) > 2:
                found.append(f"{node.lineno}: {module}")
                continue
            public = set(getattr(importlib.import_module(module), "__all__", ()))
            found += [f"{node.lineno}: {module}.{n}" for n in names if n not in public]
    return found


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_public_names_cross_a_package_boundary(path: Path) -> None:
    assert _reach_ins(path) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_says_what_it_is_for_and_what_it_offers(package: str) -> None:
    module = importlib.import_module(f"coach.{package}")
    assert (module.__doc__ or "").strip(), f"coach.{package} has no docstring"
    assert isinstance(getattr(module, "__all__", None), list), f"coach.{package} has no __all__"
    for name in module.__all__:
        assert getattr(module, name, None) is not None, f"coach.{package}.{name} does not resolve"
