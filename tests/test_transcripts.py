"""The transcript store: migrations, round trips, deletion, concurrent writers, the CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coach.settings import Settings
from coach.transcripts import SessionNotFound, SqlTranscriptStore, open_store
from coach.transcripts.export import TranscriptFormatError, from_json, to_json, to_markdown
from coach.transcripts.sqlstore import migrations
from coach.turns import Turn


class Clock:
    """A fixed, steppable clock: timestamps in tests are exact."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> SqlTranscriptStore:
    return SqlTranscriptStore(f"sqlite:///{tmp_path / 't.db'}", clock=Clock())


def _session(store: SqlTranscriptStore) -> str:
    sid = store.start_session("reflect", "scripted", "curated questions")
    store.add_turn(sid, Turn("user", "I blamed marketing for my miss."))
    store.add_turn(
        sid,
        Turn(
            "assistant",
            "You wrote: “I blamed marketing”. Which part of it was yours?",
            principle_ids=("ownership",),
            behavior="socratic_question",
            guard={"final_passed": True, "model_passed": None},
            latency_ms=42,
        ),
    )
    return sid


def test_migrations_from_empty_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = SqlTranscriptStore(f"sqlite:///{path}")
    newest = max(n for n, _ in migrations())
    assert store.schema_version() == newest == 1
    assert store.migrate() == newest  # running again changes nothing
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"sessions", "turns", "schema_migrations"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == newest


def test_migrations_are_numbered_without_gaps() -> None:
    numbers = [n for n, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_session_reads_back_exactly(store: SqlTranscriptStore) -> None:
    sid = _session(store)
    t = store.get(sid)
    assert t.session.title == "I blamed marketing for my miss."
    assert t.session.started_at == "2026-11-20T09:00:02.000+00:00"  # tick 1: the migration
    assert [x.role for x in t.turns] == ["user", "assistant"]
    assert [x.seq for x in t.turns] == [1, 2]
    assert t.turns[1].principle_ids == ("ownership",)
    assert t.turns[1].guard == {"final_passed": True, "model_passed": None}
    assert t.turns[1].latency_ms == 42


def test_feedback_and_end(store: SqlTranscriptStore) -> None:
    sid = _session(store)
    coach_turn = store.get(sid).turns[1]
    store.set_feedback(coach_turn.id, -1)
    store.end_session(sid)
    t = store.get(sid)
    assert t.turns[1].feedback == -1 and t.session.ended_at is not None
    with pytest.raises(ValueError, match="feedback is 1"):
        store.set_feedback(coach_turn.id, 5)


def test_json_round_trip(store: SqlTranscriptStore, principles) -> None:
    sid = _session(store)
    original = store.get(sid)
    data = json.loads(json.dumps(to_json(original)))
    assert data["schema"] == "pivot-coach/transcript" and data["version"] == 1
    parsed = from_json(data)
    new_id = store.import_transcript(parsed)
    again = store.get(new_id)

    def strip(t):  # type: ignore[no-untyped-def]
        return [
            (x.role, x.text, x.principle_ids, x.behavior, x.guard, x.latency_ms) for x in t.turns
        ]

    assert strip(again) == strip(original)
    assert again.session.title == original.session.title


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hello": 1}, "not a Pivot Coach transcript"),
        (
            {"schema": "pivot-coach/transcript", "version": 9, "session": {}, "turns": []},
            "version 9",
        ),
        (
            {
                "schema": "pivot-coach/transcript",
                "version": 1,
                "session": {},
                "turns": [{"role": "x"}],
            },
            "invalid at turns.0",
        ),
    ],
)
def test_bad_json_is_one_sentence(data: object, message: str) -> None:
    with pytest.raises(TranscriptFormatError, match=message):
        from_json(data)


def test_markdown_cites_the_principles(store: SqlTranscriptStore, principles) -> None:
    md = to_markdown(store.get(_session(store)), principles)
    assert md.startswith("# Pivot Coach: I blamed marketing for my miss.")
    assert "**Seller:**" in md and "**Coach:**" in md
    assert "Leaders take ownership, which is the opposite of assigning blame." in md
    assert "## Principles cited" in md


def test_delete_removes_the_session_and_its_turns(store: SqlTranscriptStore, tmp_path) -> None:
    sid = _session(store)
    keep = _session(store)
    assert store.delete_session(sid) is True
    with pytest.raises(SessionNotFound):
        store.get(sid)
    assert store.delete_session(sid) is False
    with sqlite3.connect(tmp_path / "t.db") as conn:
        assert (
            conn.execute("SELECT COUNT(*) FROM turns WHERE session_id=?", (sid,)).fetchone()[0] == 0
        )
    assert len(store.get(keep).turns) == 2


def test_a_turn_for_an_unknown_session_is_refused(store: SqlTranscriptStore) -> None:
    with pytest.raises(SessionNotFound):
        store.add_turn("nope", Turn("user", "hello"))


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    """Two browser sessions (here: four threads, two of them on one session) write at once."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    a, b = SqlTranscriptStore(url), SqlTranscriptStore(url)  # two server processes' worth
    shared = a.start_session("reflect", "scripted", "m")
    own = [a.start_session("reflect", "scripted", "m"), b.start_session("reflect", "scripted", "m")]
    errors: list[BaseException] = []

    def write(store: SqlTranscriptStore, sid: str, tag: str) -> None:
        try:
            for i in range(40):
                store.add_turn(sid, Turn("user" if i % 2 == 0 else "assistant", f"{tag}-{i}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(a, own[0], "a")),
        threading.Thread(target=write, args=(b, own[1], "b")),
        threading.Thread(target=write, args=(a, shared, "s1")),
        threading.Thread(target=write, args=(b, shared, "s2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [x.text for x in a.get(own[0]).turns] == [f"a-{i}" for i in range(40)]
    assert [x.text for x in b.get(own[1]).turns] == [f"b-{i}" for i in range(40)]
    both = a.get(shared).turns
    assert len(both) == 80 and [x.seq for x in both] == list(range(1, 81))
    assert sorted(x.text for x in both) == sorted(
        [f"s1-{i}" for i in range(40)] + [f"s2-{i}" for i in range(40)]
    )


def test_list_is_newest_first_and_filters_by_mode(store: SqlTranscriptStore) -> None:
    first = _session(store)
    second = store.start_session("challenge", "scripted", "m")
    assert [s.id for s in store.list_sessions()] == [second, first]
    assert [s.id for s in store.list_sessions(mode="reflect")] == [first]
    assert store.list_sessions()[1].turn_count == 2


def test_the_default_store_lives_in_the_data_dir(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path / "d"))
    assert store.location == str((tmp_path / "d" / "transcripts.db").resolve())


def _cli(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COACH_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", "transcripts", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_transcripts_cli_list_export_delete(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(Settings(data_dir=data))
    sid = _session(store)
    listed = _cli("list", data=data)
    assert sid in listed.stdout and "2 turns" in listed.stdout
    md = _cli("export", sid[:8], data=data)
    assert md.returncode == 0 and "**Coach:**" in md.stdout
    js = _cli("export", sid, "--format", "json", data=data)
    assert from_json(json.loads(js.stdout)).turns[0].text == "I blamed marketing for my miss."
    gone = _cli("delete", sid, data=data)
    assert gone.returncode == 0 and "2 turns" in gone.stdout
    missing = _cli("export", sid, data=data)
    assert missing.returncode == 2 and "No session" in missing.stderr
    assert "Traceback" not in missing.stderr
