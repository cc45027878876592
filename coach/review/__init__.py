"""Coaches: a per-turn review of a reflection transcript, a scorecard and next questions."""

from typing import TYPE_CHECKING

from coach.lazy import public

if TYPE_CHECKING:  # the public names; each loads with its module on first use
    from coach.review.markdown import to_markdown as to_markdown
    from coach.review.reviewer import Reviewer as Reviewer
    from coach.review.rules import ReviewRules as ReviewRules
    from coach.review.scorecard import Review as Review
    from coach.review.transcript import (
        ReviewInputError as ReviewInputError,
        read_transcript as read_transcript,
    )

__all__, __getattr__ = public(__name__, __file__)
