"""Text tools shared by the packages that read messages and replies: sentences, questions and
plain forms of text (`sentences`, only `re`), the linear classifiers over sentence vectors and
hashed words (`classifier`, used by `coach.safety` and `coach.understanding`), and compiled
patterns kept between processes (`patterns`). Each name loads with its module on first use."""

from typing import TYPE_CHECKING

from coach.lazy import public

if TYPE_CHECKING:  # the public names; each loads with its module on first use
    from coach.text.classifier import (
        Examples as Examples,
        LinearClassifier as LinearClassifier,
    )
    from coach.text.patterns import (
        PatternStore as PatternStore,
    )
    from coach.text.sentences import (
        CLOSERS as CLOSERS,
        asks as asks,
        first_sentence as first_sentence,
        is_question as is_question,
        message_sentences as message_sentences,
        normalize_question as normalize_question,
        one_line as one_line,
        questions as questions,
        quoted as quoted,
        reply_sentences as reply_sentences,
        sentence_ends as sentence_ends,
        split_sentences as split_sentences,
        strip_quotes as strip_quotes,
    )

__all__, __getattr__ = public(__name__, __file__)
