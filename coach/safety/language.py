"""Which language a message is in, from its common words and its script (data/languages.yaml).

Deterministic and fast (a set lookup per word): no model, nothing downloaded. It only needs to
tell English from the languages a seller might write in, well enough to answer in the right way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from coach.datafiles import load_data_file

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


class _Language(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    words: str = Field(min_length=10)  # space-separated


class _LanguageFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_words: int = Field(ge=1)
    min_share: float = Field(gt=0, le=1)
    english: _Language
    others: dict[str, _Language]
    scripts: list[str]


@dataclass(frozen=True)
class Language:
    code: str  # "en", an ISO 639-1 code, or "other" for a non-Latin script
    name: str

    @property
    def english(self) -> bool:
        return self.code == "en"


ENGLISH = Language("en", "English")


class LanguageGuesser:
    def __init__(self, spec: _LanguageFile) -> None:
        self.spec = spec
        self.english_words = frozenset(spec.english.words.lower().split())
        self.others = {
            code: (lang.name, frozenset(lang.words.lower().split()))
            for code, lang in spec.others.items()
        }
        self.scripts = frozenset(spec.scripts)

    @classmethod
    def load(cls, path: Path) -> LanguageGuesser:
        return cls(load_data_file(path, _LanguageFile, "Language file"))

    def guess(self, text: str) -> Language:
        letters = [c for c in text if c.isalpha()]
        if letters:
            foreign = sum(1 for c in letters if _script(c) in self.scripts)
            if foreign / len(letters) > 0.5:
                return Language("other", "a language other than English")
        words = [w.lower() for w in _WORD.findall(text)]
        if len(words) < self.spec.min_words:
            return ENGLISH
        english = sum(1 for w in words if w in self.english_words) / len(words)
        best_code, best_share = "", 0.0
        for code, (_, vocab) in self.others.items():
            share = sum(1 for w in words if w in vocab) / len(words)
            if share > best_share:
                best_code, best_share = code, share
        if best_share >= self.spec.min_share and best_share > english * 1.5:
            return Language(best_code, self.others[best_code][0])
        return ENGLISH


def _script(char: str) -> str:
    return unicodedata.name(char, "UNKNOWN").split(" ")[0]
