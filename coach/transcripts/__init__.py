"""The transcript store: sessions and turns, with export to Markdown and versioned JSON.

`TranscriptStore` is the interface the app and CLI use; `SqlTranscriptStore` implements it on
SQLAlchemy Core, so SQLite (the default, a file in the data directory) and PostgreSQL (any
`postgresql://` URL in COACH_DATABASE_URL) share one code path and the same numbered migrations.
"""

from coach.transcripts.model import (
    SessionNotFound,
    SessionRecord,
    StoreError,
    Transcript,
    TranscriptStore,
    TurnRecord,
)
from coach.transcripts.sqlstore import SqlTranscriptStore, open_store

__all__ = [
    "SessionNotFound",
    "SessionRecord",
    "SqlTranscriptStore",
    "StoreError",
    "Transcript",
    "TranscriptStore",
    "TurnRecord",
    "open_store",
]
