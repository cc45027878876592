"""Several processes starting at once on one empty data dir: every one answers, and every
session they record is in the store. (Once: "Collection already exists", an index wiped under
another process, and "table sessions already exists".)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

N = 8


def test_eight_processes_on_an_empty_data_dir_all_answer_and_all_are_kept(
    tmp_path: Path, safety, _vector_cache: Path
) -> None:  # type: ignore[no-untyped-def]
    # `safety` fits the classifiers into the shared cache first: the race under test is the
    # index and the store, not eight copies of the same fit.
    data = tmp_path / "empty-data"
    env = {
        **os.environ,
        "COACH_DATA_DIR": str(data),
        "COACH_TIER": "scripted",
        "COACH_CACHE_DIR": str(_vector_cache),
    }
    said = [f"I skipped standup number {i} and blamed the calendar." for i in range(N)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "coach.cli", "chat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(N)
    ]
    for p, text in zip(procs, said, strict=True):
        assert p.stdin is not None
        p.stdin.write(f"{text}\n/done\n".encode())
        p.stdin.close()
    for p in procs:
        p.wait(timeout=600)
    for p in procs:
        out = p.stdout.read().decode() if p.stdout else ""
        err = p.stderr.read().decode() if p.stderr else ""
        assert p.returncode == 0, err
        assert "coach>" in out and "Not saving" not in out and "Stopped saving" not in out, out
    listed = subprocess.run(
        [sys.executable, "-m", "coach.cli", "transcripts", "list", "--json"],
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    )
    sessions = json.loads(listed.stdout)
    assert len(sessions) == N
    # Each session is titled with its first words (cut short): one per process, none lost.
    titles = [s["title"].rstrip("…") for s in sessions]
    assert sorted(next(t for t in said if t.startswith(title)) for title in titles) == said
