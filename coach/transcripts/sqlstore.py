"""SQLAlchemy Core implementation of the transcript store (SQLite by default, PostgreSQL too)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from coach.behavior import recorded
from coach.filelock import exclusive
from coach.settings import Settings
from coach.transcripts.model import (
    SessionNotFound,
    SessionRecord,
    StoreError,
    Transcript,
)
from coach.turns import Role, Turn

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def migrations() -> list[tuple[int, str]]:
    """The numbered SQL files, in order. Append-only: never edit one that has shipped."""
    folder = resources.files("coach.transcripts") / "migrations"
    out = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            out.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(out)


def _statements(sql: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def default_url(settings: Settings) -> str:
    return settings.database_url or f"sqlite:///{settings.data_dir / 'transcripts.db'}"


def open_store(settings: Settings, clock: Clock = _utcnow) -> SqlTranscriptStore:
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqlTranscriptStore(default_url(settings), clock=clock)


class SqlTranscriptStore:
    def __init__(self, url: str, clock: Clock = _utcnow) -> None:
        self.url = url
        self.clock = clock
        self.sqlite = url.startswith("sqlite")
        try:
            self.engine = self._engine(url)
            self.migrate()
        except SQLAlchemyError as exc:
            if self.sqlite and type(exc).__name__ == "DatabaseError":
                # A damaged file ("file is not a database", "malformed"): never written to.
                raise StoreError(
                    f"The transcript database {self.engine.url.database} is damaged and was left "
                    "untouched: move it aside (sqlite3's .recover can rescue what it holds) or "
                    "set COACH_DATABASE_URL to a new file to start a fresh store."
                ) from None
            raise StoreError(
                f"Cannot open the transcript store ({type(exc).__name__}); check "
                "COACH_DATABASE_URL or that the data directory is writable."
            ) from None

    def _engine(self, url: str) -> Engine:
        if not self.sqlite:
            return create_engine(url, pool_pre_ping=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL: readers never block the writer; two browser sessions can write at once.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine

    # -- schema ---------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply every migration newer than the database; returns the schema version. Safe when
        several processes start at once: SQLite takes a lock file beside the database,
        PostgreSQL an advisory lock for the transaction."""
        database = self.engine.url.database if self.sqlite else None
        if database and database != ":memory:":
            with exclusive(Path(database + ".lock")):
                return self._migrate()
        return self._migrate()

    def _migrate(self) -> int:
        with self.engine.begin() as conn:
            if not self.sqlite:
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7421)")  # any fixed number
            conn.exec_driver_sql(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in conn.exec_driver_sql("SELECT version FROM schema_migrations")}
            version = max(done, default=0)
            for number, sql in migrations():
                if number in done:
                    continue
                for statement in _statements(sql):
                    conn.exec_driver_sql(statement)
                conn.execute(
                    text("INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)"),
                    {"v": number, "t": self._now()},
                )
                version = number
        return version

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT MAX(version) FROM schema_migrations").first()
        return int(row[0] or 0) if row else 0

    # -- writes ---------------------------------------------------------------------------------

    def start_session(self, mode: str, tier: str, model: str) -> str:
        session_id = uuid.uuid4().hex
        self._write(
            "INSERT INTO sessions (id, mode, title, started_at, ended_at, tier, model) "
            "VALUES (:id, :mode, NULL, :t, NULL, :tier, :model)",
            {"id": session_id, "mode": mode, "t": self._now(), "tier": tier, "model": model},
        )
        return session_id

    def add_turn(self, session_id: str, turn: Turn) -> str:
        """Append the turn to the session; its new id. The store numbers it and dates it (an
        imported turn keeps its own date); the turn's id, place and rating are not read."""
        if turn.role not in ("user", "assistant"):
            raise ValueError(f"role must be user or assistant, not {turn.role!r}")
        turn_id = uuid.uuid4().hex
        params = {
            "id": turn_id,
            "sid": session_id,
            "role": turn.role,
            "text": turn.text,
            "pids": json.dumps(list(turn.principle_ids)),
            # Its value as plain text: a database driver may write an enum by its name.
            "behavior": None if turn.behavior is None else str(turn.behavior),
            "guard": json.dumps(turn.guard) if turn.guard is not None else None,
            "latency": turn.latency_ms,
            "notice": turn.notice,
            "t": turn.created_at or self._now(),
        }
        # seq is computed inside the INSERT, so it is atomic on SQLite; on PostgreSQL two
        # writers to one session can race, which the UNIQUE(session_id, seq) turns into a retry.
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    exists = conn.execute(
                        text("SELECT 1 FROM sessions WHERE id = :sid"), {"sid": session_id}
                    ).first()
                    if not exists:
                        raise SessionNotFound(session_id)
                    conn.execute(
                        text(
                            "INSERT INTO turns (id, session_id, seq, role, text, principle_ids, "
                            "behavior, guard, latency_ms, notice, feedback, created_at) "
                            "SELECT :id, :sid, COALESCE(MAX(seq), 0) + 1, :role, :text, :pids, "
                            ":behavior, :guard, :latency, :notice, NULL, :t "
                            "FROM turns WHERE session_id = :sid"
                        ),
                        params,
                    )
                    if turn.role == "user":
                        conn.execute(
                            text(
                                "UPDATE sessions SET title = :title "
                                "WHERE id = :sid AND title IS NULL"
                            ),
                            {"sid": session_id, "title": _title(turn.text)},
                        )
                return turn_id
            except (IntegrityError, OperationalError) as exc:
                if attempt == 4:
                    raise StoreError(
                        f"Could not save the turn ({type(exc).__name__}); your words are "
                        "still on screen, try again."
                    ) from None
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def set_feedback(self, turn_id: str, feedback: int | None) -> None:
        if feedback not in (None, 1, -1):
            raise ValueError("feedback is 1 (helpful), -1 (not helpful) or None")
        self._write("UPDATE turns SET feedback = :f WHERE id = :id", {"f": feedback, "id": turn_id})

    def end_session(self, session_id: str) -> None:
        self._write(
            "UPDATE sessions SET ended_at = :t WHERE id = :id", {"t": self._now(), "id": session_id}
        )

    def delete_session(self, session_id: str) -> bool:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM turns WHERE session_id = :id"), {"id": session_id})
            deleted = conn.execute(text("DELETE FROM sessions WHERE id = :id"), {"id": session_id})
        return bool(deleted.rowcount)

    def import_transcript(self, transcript: Transcript) -> str:
        """Store a transcript (e.g. from a JSON export) as a new session; returns its id."""
        s = transcript.session
        session_id = uuid.uuid4().hex
        self._write(
            "INSERT INTO sessions (id, mode, title, started_at, ended_at, tier, model) "
            "VALUES (:id, :mode, :title, :started, :ended, :tier, :model)",
            {
                "id": session_id,
                "mode": s.mode,
                "title": s.title,
                "started": s.started_at,
                "ended": s.ended_at,
                "tier": s.tier,
                "model": s.model,
            },
        )
        for turn in transcript.turns:
            new_id = self.add_turn(session_id, turn)
            if turn.feedback is not None:
                self.set_feedback(new_id, turn.feedback)
        return session_id

    # -- reads ----------------------------------------------------------------------------------

    def list_sessions(self, limit: int = 50, mode: str | None = None) -> list[SessionRecord]:
        sql = (
            "SELECT s.id, s.mode, s.started_at, s.tier, s.model, s.title, s.ended_at, "
            "(SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS n "
            "FROM sessions s WHERE (CAST(:mode AS TEXT) IS NULL OR s.mode = :mode) "
            "ORDER BY s.started_at DESC LIMIT :limit"
        )
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), {"mode": mode, "limit": limit}).all()
        return [_session(row, int(row[7])) for row in rows]

    def get(self, session_id: str) -> Transcript:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT id, mode, started_at, tier, model, title, ended_at "
                    "FROM sessions WHERE id = :id"
                ),
                {"id": session_id},
            ).first()
            if row is None:
                raise SessionNotFound(session_id)
            turns = conn.execute(
                text(
                    "SELECT id, seq, role, text, created_at, principle_ids, behavior, guard, "
                    "latency_ms, notice, feedback FROM turns WHERE session_id = :id ORDER BY seq"
                ),
                {"id": session_id},
            ).all()
        session = _session(row, len(turns))
        return Transcript(
            session,
            tuple(
                Turn(
                    id=t[0],
                    seq=int(t[1]),
                    role=cast(Role, t[2]),  # only "user" or "assistant" is ever written
                    text=t[3],
                    created_at=t[4],
                    principle_ids=tuple(json.loads(t[5] or "[]")),
                    behavior=recorded(t[6]),
                    guard=json.loads(t[7]) if t[7] else None,
                    latency_ms=t[8],
                    notice=t[9],
                    feedback=t[10],
                )
                for t in turns
            ),
        )

    # -- helpers --------------------------------------------------------------------------------

    def _write(self, sql: str, params: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), params)

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="milliseconds")

    def close(self) -> None:
        self.engine.dispose()

    @property
    def location(self) -> str:
        """Where transcripts are stored, for the privacy line (no password shown)."""
        if self.sqlite:
            return str(Path(self.url.removeprefix("sqlite:///")).resolve())
        return self.engine.url.render_as_string(hide_password=True)


def _session(row: Any, turn_count: int) -> SessionRecord:
    return SessionRecord(
        id=row[0],
        mode=row[1],
        started_at=row[2],
        tier=row[3],
        model=row[4],
        title=row[5],
        ended_at=row[6],
        turn_count=turn_count,
    )


def _title(first_words: str, n: int = 8) -> str:
    words = first_words.split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")
