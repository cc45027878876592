-- Sessions and their turns. Append-only: change the schema with a new numbered file.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    mode        TEXT NOT NULL,          -- reflect | challenge | review
    title       TEXT,                   -- the first words the user wrote
    started_at  TEXT NOT NULL,          -- ISO 8601, UTC
    ended_at    TEXT,
    tier        TEXT NOT NULL,
    model       TEXT NOT NULL
);

CREATE TABLE turns (
    id             TEXT PRIMARY KEY,
    session_id     TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    role           TEXT NOT NULL,       -- user | assistant
    text           TEXT NOT NULL,
    principle_ids  TEXT NOT NULL,       -- JSON list
    behavior       TEXT,
    guard          TEXT,                -- JSON object (checks, model_passed, fallback)
    latency_ms     INTEGER,
    notice         TEXT,
    feedback       INTEGER,             -- 1 helpful, -1 not helpful, NULL unrated
    created_at     TEXT NOT NULL,
    UNIQUE (session_id, seq)
);

CREATE INDEX turns_by_session ON turns (session_id, seq);
CREATE INDEX sessions_by_start ON sessions (started_at);
