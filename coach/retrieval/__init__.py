"""Finding the principles a message speaks to: embeddings, the Chroma index, its snapshot,
the vector cache and the ranker."""
