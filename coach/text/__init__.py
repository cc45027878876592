"""Text tools shared by the packages that read messages and replies: sentences, questions and
plain forms of text (`coach.text.sentences`, only `re`, exported here), and the linear
classifiers over sentence vectors and hashed words (`coach.text.classifier`, used by
`coach.safety` and `coach.understanding`; it imports numpy, so it is not imported here)."""

from coach.text.sentences import (
    CLOSERS,
    asks,
    first_sentence,
    is_question,
    message_sentences,
    normalize_question,
    one_line,
    questions,
    quoted,
    reply_sentences,
    sentence_ends,
    split_sentences,
    strip_quotes,
)

__all__ = [
    "CLOSERS",
    "asks",
    "first_sentence",
    "is_question",
    "message_sentences",
    "normalize_question",
    "one_line",
    "questions",
    "quoted",
    "reply_sentences",
    "sentence_ends",
    "split_sentences",
    "strip_quotes",
]
