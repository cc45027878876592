"""The transcript store on PostgreSQL: the same code and migrations, against a real server.

The test starts a throwaway cluster on loopback (initdb + pg_ctl from Debian's PostgreSQL; as
root, through the `postgres` user, since PostgreSQL refuses to run as root) and stops it after.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.transcripts import SessionNotFound, SqlTranscriptStore
from coach.transcripts.export import from_json, to_json
from coach.turns import Turn
from tests.servers import free_port

pytestmark = pytest.mark.slow


def _as_postgres(cmd: str) -> list[str]:
    return ["su", "postgres", "-c", cmd] if os.geteuid() == 0 else ["sh", "-c", cmd]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if not shutil.which("initdb") or not shutil.which("pg_ctl"):
        pytest.fail("PostgreSQL is not installed: apt-get install postgresql (see .ci/run)")
    # Not under pytest's tmp dir: that is private to root, and the server runs as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data, port = base / "data", free_port()
    subprocess.run(
        _as_postgres(f"initdb -D {data} -A trust -U coach"),
        check=True,
        capture_output=True,
        timeout=120,
    )
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1"
    subprocess.run(
        _as_postgres(f"pg_ctl -D {data} -o '{opts}' -l {base}/log -w start"),
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "coach", "coach"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql+psycopg://coach@127.0.0.1:{port}/coach"
    finally:
        subprocess.run(
            _as_postgres(f"pg_ctl -D {data} -m fast -w stop"), capture_output=True, timeout=60
        )


def test_migrations_round_trip_and_delete_on_postgres(pg_url: str) -> None:
    store = SqlTranscriptStore(pg_url)
    assert store.schema_version() == 1 and store.migrate() == 1
    sid = store.start_session("reflect", "scripted", "curated")
    store.add_turn(sid, Turn("user", "I blamed marketing for my miss."))
    store.add_turn(
        sid,
        Turn(
            "assistant",
            "Which part of it was yours?",
            principle_ids=("ownership",),
            behavior="socratic_question",
            guard={"final_passed": True},
            latency_ms=40,
        ),
    )
    t = store.get(sid)
    assert [x.seq for x in t.turns] == [1, 2] and t.turns[1].principle_ids == ("ownership",)
    copy = store.import_transcript(from_json(to_json(t)))
    assert [x.text for x in store.get(copy).turns] == [x.text for x in t.turns]
    assert {copy, sid} <= {s.id for s in store.list_sessions(mode="reflect")}
    assert store.delete_session(sid)
    with pytest.raises(SessionNotFound):
        store.get(sid)
    assert "coach@127.0.0.1" in store.location and "password" not in store.location


def test_concurrent_writers_on_postgres(pg_url: str) -> None:
    a, b = SqlTranscriptStore(pg_url), SqlTranscriptStore(pg_url)
    shared = a.start_session("reflect", "scripted", "m")
    errors: list[BaseException] = []

    def write(store: SqlTranscriptStore, tag: str) -> None:
        try:
            for i in range(30):
                store.add_turn(shared, Turn("user", f"{tag}-{i}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, t)) for s, t in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    turns = a.get(shared).turns
    assert len(turns) == 60 and [x.seq for x in turns] == list(range(1, 61))
