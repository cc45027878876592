"""Understanding the seller's message: a typed reading every tier, the review and the
challenge checker share."""

from coach.understanding.lexicon import UnderstandingLexicon, second_person
from coach.understanding.reader import MessageReader
from coach.understanding.reading import CONTINUING, Feeling, Move, Reading

__all__ = [
    "CONTINUING",
    "Feeling",
    "MessageReader",
    "Move",
    "Reading",
    "UnderstandingLexicon",
    "second_person",
]
