"""Finding the principles a message speaks to: embeddings, the Chroma index, its snapshot,
the vector cache and the ranker."""

from typing import TYPE_CHECKING

from coach.lazy import public

if TYPE_CHECKING:  # the public names; each loads with its module on first use
    from coach.retrieval.cache import (
        VectorCache as VectorCache,
        files_digest as files_digest,
        fingerprint as fingerprint,
    )
    from coach.retrieval.deferred import (
        DeferredChunkSearch as DeferredChunkSearch,
    )
    from coach.retrieval.embeddings import (
        ENCODER_ID as ENCODER_ID,
        MiniLMEncoder as MiniLMEncoder,
    )
    from coach.retrieval.index import (
        open_index as open_index,
    )
    from coach.retrieval.search import (
        ChromaChunkSearch as ChromaChunkSearch,
        ChunkSearch as ChunkSearch,
        Hit as Hit,
        PrincipleRetriever as PrincipleRetriever,
    )
    from coach.retrieval.snapshot import (
        SnapshotChunkSearch as SnapshotChunkSearch,
        export_snapshot as export_snapshot,
        snapshot_path as snapshot_path,
    )

__all__, __getattr__ = public(__name__, __file__)
