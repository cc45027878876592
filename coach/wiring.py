"""Build the coach's parts from settings: the one place that constructs dependencies.

The app and the CLI call these at their edge and pass the results down; nothing below them
builds its own dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.embeddings import MiniLMEncoder
from coach.principles import PrincipleSet, load_principles
from coach.retrieval import PrincipleRetriever
from coach.settings import Settings


@dataclass
class RetrievalStack:
    principles: PrincipleSet
    encoder: MiniLMEncoder
    retriever: PrincipleRetriever
    index_message: str
    index_rebuilt: bool


def build_retrieval(settings: Settings, *, reset: bool = False) -> RetrievalStack:
    """Load principles, the encoder and the Chroma index (built or refreshed as needed)."""
    from coach.retrieval import ChromaChunkSearch
    from coach.vectorstore import open_index

    principles = load_principles(settings.principles_path)
    encoder = MiniLMEncoder(settings.embedding_model_dir)
    status = open_index(settings, principles, encoder, reset=reset)
    retriever = PrincipleRetriever(
        ChromaChunkSearch(status.collection), principles, settings.relevance_threshold
    )
    return RetrievalStack(principles, encoder, retriever, status.message, status.rebuilt)
