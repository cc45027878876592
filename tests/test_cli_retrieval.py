"""`coach ingest` and `coach retrieve`, run as a user runs them: a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def coach(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, _vector_cache: Path) -> Path:
    path = tmp_path_factory.mktemp("cli")
    env = {"COACH_DATA_DIR": str(path / "data"), "COACH_CACHE_DIR": str(_vector_cache)}
    out = coach("ingest", cwd=path, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Index built")
    return path


def _env(workdir: Path) -> dict[str, str]:
    return {"COACH_DATA_DIR": str(workdir / "data")}


def test_ingest_twice_says_up_to_date(workdir: Path) -> None:
    out = coach("ingest", cwd=workdir, env=_env(workdir))
    assert out.returncode == 0
    assert out.stdout.strip().startswith("Index up to date")
    assert len(out.stdout.strip().splitlines()) == 1


def test_issue_example_lists_ownership_first(workdir: Path) -> None:
    text = "I told my VP the deal slipped because the product team shipped late"
    out = coach("retrieve", text, "--json", cwd=workdir, env=_env(workdir))
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert hits[0]["id"] == "ownership"
    assert {"id", "title", "score", "quote"} <= set(hits[0])
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_k_controls_the_number_of_hits(workdir: Path) -> None:
    args = ["retrieve", "my pipeline is empty", "--k", "5", "--json"]
    out = coach(*args, cwd=workdir, env=_env(workdir))
    assert len(json.loads(out.stdout)) == 5


def test_plain_output_quotes_the_source(workdir: Path) -> None:
    out = coach("retrieve", "I blamed marketing for my miss", cwd=workdir, env=_env(workdir))
    assert out.returncode == 0
    assert "[ownership]" in out.stdout.splitlines()[0]
    assert "opposite of assigning blame" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["retrieve", "   "], "Nothing to look up"),
        (["retrieve", "x", "--principles", "missing.yaml"], "Principle file not found"),
        (["ingest", "--principles", "bad.yaml"], "not valid YAML"),
        (["retrieve", "x", "--k", "0"], "--k must be between 1 and"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(workdir: Path, args: list[str], message: str) -> None:
    (workdir / "bad.yaml").write_text("principles: [\n")
    out = coach(*args, cwd=workdir, env=_env(workdir))
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr
