"""The transcript store: sessions and turns, with export to Markdown and versioned JSON.

`TranscriptStore` is the interface the app and CLI use; `SqlTranscriptStore` implements it on
SQLAlchemy Core, so SQLite (the default, a file in the data directory) and PostgreSQL (any
`postgresql://` URL in COACH_DATABASE_URL) share one code path and the same numbered migrations.
Each name loads with its module on first use: naming a record type does not import SQLAlchemy.
"""

from typing import TYPE_CHECKING

from coach.lazy import public

if TYPE_CHECKING:  # the public names; each loads with its module on first use
    from coach.transcripts.export import (
        TranscriptFormatError as TranscriptFormatError,
        from_json as from_json,
        to_json as to_json,
        to_markdown as to_markdown,
    )
    from coach.transcripts.model import (
        SessionNotFound as SessionNotFound,
        SessionRecord as SessionRecord,
        StoreError as StoreError,
        Transcript as Transcript,
        TranscriptStore as TranscriptStore,
    )
    from coach.transcripts.sqlstore import (
        SqlTranscriptStore as SqlTranscriptStore,
        open_store as open_store,
    )
    from coach.transcripts.unavailable import UnavailableStore as UnavailableStore

__all__, __getattr__ = public(__name__, __file__)
