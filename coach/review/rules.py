"""data/review.yaml, the review's rules: the seller's words for blame, ownership, short and long
horizons and strain, the names of the principles a coach should not say first, and the largest
transcript reviewed; in their schema, and `ReviewRules`, the file with its patterns compiled."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from coach.datafiles import build_from_data_file
from coach.review.transcript import ReviewInputError


class _Seller(BaseModel):
    blame: list[str]
    ownership: list[str]
    short_term: list[str]
    long_term: list[str]
    strain: list[str]


class _Coach(BaseModel):
    names: dict[str, list[str]]


class _ReviewFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seller: _Seller
    coach: _Coach
    max_bytes: int


class ReviewRules:
    def __init__(self, spec: _ReviewFile) -> None:
        def c(items: list[str]) -> list[re.Pattern[str]]:
            return [re.compile(p, re.IGNORECASE) for p in items]

        self.blame = c(spec.seller.blame)
        self.ownership = c(spec.seller.ownership)
        self.short_term = c(spec.seller.short_term)
        self.long_term = c(spec.seller.long_term)
        self.strain = c(spec.seller.strain)
        self.names = {pid: [n.lower() for n in names] for pid, names in spec.coach.names.items()}
        self.max_bytes = spec.max_bytes

    @classmethod
    def load(cls, path: Path) -> ReviewRules:
        return build_from_data_file(path, _ReviewFile, "Review rules", cls, ReviewInputError)
