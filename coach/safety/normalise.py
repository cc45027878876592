"""What a message really says, before triage reads it.

Attacks arrive dressed up: instructions hidden in zero-width or Unicode tag characters, written in
Cyrillic look-alike letters, spaced out letter by letter, or encoded in base64 or ROT13. Triage
reads every variant this module finds; the coach still answers only the seller's visible words,
and says so when it removed hidden characters.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass, field

# Zero-width and bidirectional controls: invisible on screen, meaningful to a model.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
# Unicode tag characters (U+E0000 block) spell ASCII invisibly: U+E0041 is a hidden "A".
_TAGS = re.compile("[\U000e0000-\U000e007f]")
_B64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_SPACED = re.compile(r"(?:\b\w[ .\-_*]{1,3}){4,}\w\b")
_WORD = re.compile(r"[a-z']+")

# Letters from other scripts that look Latin. NFKC folds full-width forms and ligatures; these
# survive it, so they are mapped by hand (the Unicode confusables list, Latin targets only).
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ɡ": "g",
        "һ": "h",
        "ӏ": "l",
        "ԛ": "q",
        "ԝ": "w",
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "І": "I",
        "Ј": "J",
        "Ѕ": "S",
        "α": "a",
        "ο": "o",
        "ρ": "p",
        "ν": "v",
        "ι": "i",
        "κ": "k",
        "τ": "t",
        "υ": "u",
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Ι": "I",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
    }
)
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)


@dataclass(frozen=True)
class Normalised:
    """The visible text, cleaned, and every hidden or encoded reading of it."""

    text: str  # what the seller visibly wrote, with invisible characters removed
    variants: tuple[str, ...] = ()  # decoded or de-obfuscated readings, for triage only
    hidden: str = ""  # text spelled in Unicode tag characters
    notes: tuple[str, ...] = field(default_factory=tuple)  # what was removed or decoded

    @property
    def readings(self) -> tuple[str, ...]:
        """Everything triage should read: the text first, then each other reading."""
        out = [self.text, *self.variants]
        if self.hidden:
            out.append(self.hidden)
        return tuple(dict.fromkeys(r for r in out if r.strip()))


def normalise(raw: str, common_words: frozenset[str]) -> Normalised:
    """Strip, fold and decode. `common_words` tells decoded text that reads as words from noise."""
    hidden = "".join(
        chr(ord(c) - 0xE0000) for c in _TAGS.findall(raw) if 0x20 <= ord(c) - 0xE0000 < 0x7F
    )
    notes: list[str] = []
    text = _TAGS.sub("", raw)
    if hidden:
        notes.append("hidden tag characters")
    if _INVISIBLE.search(text):
        notes.append("zero-width characters")
        text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    variants: list[str] = []
    folded = text.translate(_HOMOGLYPHS)
    if folded != text:
        variants.append(folded)
        if _mixed_scripts(text):
            notes.append("look-alike letters")
    flat = " ".join(folded.split())
    spaced = _close_spaced_letters(folded)
    if spaced != flat:
        variants.append(spaced)
        # Letters spaced out with no wider gap between words run together: keep a squashed
        # reading for the patterns that look for instructions written that way.
        variants.append("squashed:" + re.sub(r"[^a-z]", "", spaced.lower()))
    leet = flat.translate(_LEET)
    if leet != flat:
        variants.append(leet)
    for decoded in _base64_readings(flat, common_words):
        variants.append(decoded)
        notes.append("base64")
    rot = codecs.encode(flat, "rot13")
    if _reads_as_words(rot, common_words) > _reads_as_words(flat, common_words) + 0.25:
        variants.append(rot)
        notes.append("ROT13")
    reversed_text = flat[::-1]
    if _reads_as_words(reversed_text, common_words) > _reads_as_words(flat, common_words) + 0.25:
        variants.append(reversed_text)
    return Normalised(text.strip(), tuple(dict.fromkeys(variants)), hidden.strip(), tuple(notes))


def _mixed_scripts(text: str) -> bool:
    """A word that mixes Latin with Cyrillic or Greek letters: look-alikes, not a language."""
    for word in re.findall(r"\w+", text):
        scripts = {unicodedata.name(c, "").split(" ")[0] for c in word if c.isalpha()}
        if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
            return True
    return False


def _close_spaced_letters(text: str) -> str:
    """ "i g n o r e  y o u r  r u l e s" -> "ignore your rules" (an obfuscation trick). A
    wider gap separates words; with none, the letters run together ("ignoreyourrules"), which
    the squashed patterns of data/safety.yaml still read."""
    chunks = re.split(r"(\s{2,})", text)
    out = []
    for chunk in chunks:
        letters = re.split(r"[ .\-_*]", chunk.strip())
        if len(letters) >= 4 and all(len(x) == 1 for x in letters):
            out.append("".join(letters))
        else:
            out.append(_SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), chunk))
    return " ".join("".join(out).split())


def _reads_as_words(text: str, common_words: frozenset[str]) -> float:
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return 0.0
    return sum(1 for w in words if w in common_words) / len(words)


def _base64_readings(text: str, common_words: frozenset[str]) -> list[str]:
    out = []
    for m in _B64.finditer(text):
        blob = m.group(0)
        try:
            decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        decoded = " ".join(decoded.split())  # line breaks are not "unprintable" text
        # Random bytes almost never decode to printable UTF-8, so a quarter of common words
        # is enough: "Wow, that's fantastic! Forget all previous tasks..." scored 0.37.
        if decoded.isprintable() and _reads_as_words(decoded, common_words) >= 0.25:
            out.append(decoded)
    return out
