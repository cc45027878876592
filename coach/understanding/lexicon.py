"""The exact words of understanding (data/understanding.yaml): feelings and the words that
carry them, who acts, the things worth naming back, and the clause that commits."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from coach.datafiles import DataFileError, build_from_data_file
from coach.text import asks, message_sentences
from coach.understanding.reading import Feeling

_WORD = re.compile(r"[A-Za-z0-9][\w'’&.:-]*[A-Za-z0-9%]|[A-Za-z0-9]")
_SELF = re.compile(r"\b(i|i'm|im|i've|ive|i'd|i'll|me|my|myself|mine)\b", re.IGNORECASE)
# After a "but" or a "because" comes what the seller is turning over, or who they hold to account.
_CONTRAST = re.compile(
    r"\b(but|though|although|except|yet|however|because|cause|since)\b", re.IGNORECASE
)
_TITLES = {"dr", "doctor", "mr", "mrs", "ms", "prof", "coach"}
_ABBREVIATIONS = _TITLES | {"st", "mt", "ft"}
_DETERMINERS = {"the", "our", "my", "their", "his", "her", "that", "this", "a", "an", "your"}
_TO_YOU = {"my": "your", "our": "your", "mine": "yours", "me": "you", "i": "you", "we": "you"}
_QUANTITY = re.compile(
    r"\b\d[\d,.]*\s?(?:k|m|%|x|min(?:ute)?s?|hours?|hrs?|days?|weeks?|months?|calls?|deals?|"
    r"seats?|arr|stores?|locations?|reps?|meetings?|demos?|accounts?)\b"
    r"(?:\s(?:arr|seats?|calls?|deals?))?",
    re.IGNORECASE,
)
# Capitalised words that are not names when they open a sentence or stand alone.
_NOT_NAMES = frozenset(
    "i im i'm ive i've id i'd ill i'll the a an and but so ok okay yeah yes no not honestly "
    "then well also just maybe this that it its it's we our my they their he she his her "
    "you your what when where why how who which monday tuesday wednesday thursday friday "
    "saturday sunday today tomorrow tonight yesterday last next thanks thank lol tbh idk "
    "because if after before hmm wow oh ugh got had was were is are did do does went felt "
    "feel said told asked lost closed won still even never always".split()
    # Contractions typed without the apostrophe are not names either.
    + "dont didnt doesnt cant couldnt wouldnt shouldnt wont isnt wasnt werent arent havent "
    "hasnt hadnt theyre theyll theyve youre youll ive id ill hes shes thats whats theres "
    "lets aint gonna wanna gotta kinda sorta tho thru pls plz ur".split()
    # Months are dates and modals are verbs, however they are capitalised: "How would March
    # tell the story" and "a concrete step with Will" ("I Will map...") were said to sellers.
    + "january february march april june july august september october november december "
    "will would can could should shall might must may".split()
)
# Words that never qualify a thing: "the to pricing" is not a thing.
_FUNCTION = frozenset(
    "a an the and or but if then so to of in on at by for with from into onto over under "
    "about after before during until while as than that this these those there here what "
    "which who whom whose when where why how all any both each every few more most other "
    "some such no nor not only own same too very can will just should now get got go went "
    "make made do did does done have has had be been being is are was were am it its it's "
    "they them their we us our you your he him his she her i me my one two three first "
    "last next new old big small good bad way again also still even back out up down off "
    "like really actually basically whole entire full real usual other same".split()
)
# A department reads without an article ("procurement", "legal"); a person takes one.
_DEPARTMENTS = frozenset(
    "procurement legal finance marketing cs ops revops security leadership product "
    "customer success".split()
)


class UnderstandingFileError(DataFileError):
    """data/understanding.yaml is missing or malformed."""


class _FeelingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    say: str
    patterns: list[str] = Field(min_length=1)


class _LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feelings: dict[str, _FeelingSpec] = Field(min_length=1)
    roles: list[str] = Field(min_length=1)
    things: list[str] = Field(min_length=1)
    commitment_cues: list[str] = Field(min_length=1)
    commitment_verbs: list[str] = Field(min_length=1)
    generic_roles: list[str] = Field(default_factory=list)
    first_names: list[str] = Field(default_factory=list)
    company_words: list[str] = Field(default_factory=list)
    role_modifiers: list[str] = Field(default_factory=list)
    # What a classifier over a few thousand messages confuses and a few words settle.
    setback_cues: list[str] = Field(default_factory=list)
    success_cues: list[str] = Field(default_factory=list)
    pushback_cues: list[str] = Field(default_factory=list)
    past_cues: list[str] = Field(default_factory=list)
    question_cues: list[str] = Field(default_factory=list)


def second_person(phrase: str) -> str:
    """ "my manager" -> "your manager": the coach names the seller's things as theirs."""
    words = phrase.split()
    return " ".join(_TO_YOU.get(w.lower(), w) for w in words)


@dataclass(frozen=True)
class _Span:
    start: int
    text: str
    rank: int  # lower is a better thing to name back


class UnderstandingLexicon:
    def __init__(self, spec: _LexiconFile, known_words: frozenset[str] = frozenset()) -> None:
        self.spec = spec
        self.feelings = [
            (label, f.say, re.compile(r"\b(?:" + "|".join(f.patterns) + r")", re.IGNORECASE))
            for label, f in spec.feelings.items()
        ]
        self.labels = tuple(spec.feelings)
        self.say = {label: f.say for label, f in spec.feelings.items()}
        # Not inside a hyphenated word: "co-ops" holds no "ops".
        self.roles = re.compile(
            r"(?<![\w-])(?:(the|our|my|their|his|her|your|a|an|that|this)\s+)?(?:([a-z][\w-]+)\s+)?"
            r"(" + "|".join(spec.roles) + r")\b",
            re.IGNORECASE,
        )
        self.things = re.compile(
            r"(?<![\w-])(?:(the|our|my|their|his|her|your|a|an|that|this)\s+)?(?:([\w-]+)\s+)?"
            r"(" + "|".join(spec.things) + r")\b",
            re.IGNORECASE,
        )
        self.role_words = re.compile(r"^(?:" + "|".join(spec.roles) + r")$", re.IGNORECASE)
        self.thing_words = re.compile(r"^(?:" + "|".join(spec.things) + r")$", re.IGNORECASE)
        self.cues = [re.compile(p, re.IGNORECASE) for p in spec.commitment_cues]
        self.verbs = frozenset(spec.commitment_verbs)
        self.generic = frozenset(w.lower() for w in spec.generic_roles)
        self.first_names = frozenset(w.lower() for w in spec.first_names)
        # "korvo foods", "cobalt valley health": one or two words before the company word.
        self.company = re.compile(
            r"\b(?:([a-z][\w&'-]+)\s+)?([a-z][\w&'-]+)\s+("
            + "|".join(sorted(set(spec.company_words)))
            + r")\b",
            re.IGNORECASE,
        )
        self.role_modifiers = frozenset(w.lower() for w in spec.role_modifiers)
        self.known = known_words
        self.setback = _any_of(spec.setback_cues)
        self.success = _any_of(spec.success_cues)
        self.pushback = _any_of(spec.pushback_cues)
        self.past = _any_of(spec.past_cues)
        self.asking = _any_of(spec.question_cues)

    @classmethod
    def load(cls, path: Path, known_words: frozenset[str] = frozenset()) -> UnderstandingLexicon:
        return build_from_data_file(
            path,
            _LexiconFile,
            "Understanding file",
            lambda spec: cls(spec, known_words),
            UnderstandingFileError,
        )

    # -- feelings -------------------------------------------------------------------------------

    def feelings_in(self, text: str) -> list[Feeling]:
        """Each feeling whose words appear, with the sentence piece that carries it."""
        found: list[Feeling] = []
        for label, say, pattern in self.feelings:
            m = pattern.search(text)
            if m:
                found.append(Feeling(label, _piece_around(text, m.start(), m.end()), say))
        return found

    # -- who and what ---------------------------------------------------------------------------

    def actors(self, text: str) -> list[str]:
        out: list[str] = []
        if _SELF.search(text):
            out.append("self")
        for span in self._spans(text):
            if span.rank <= 1 and span.text not in out:
                out.append(span.text)
        return out

    def is_person(self, phrase: str) -> bool:
        """Whether a thing named back is someone ("Priya", "your SE", "their IT guy"): a
        question asks what happened *with* a person and *about* a thing."""
        words = phrase.split()
        if not words:
            return False
        if self.company.search(phrase):
            return False
        head = words[-1]
        if words[0].lower().rstrip(".") in _TITLES:
            return True
        if self.role_words.match(head) or self.roles.fullmatch(phrase):
            return not self.thing_words.match(head)
        # A lone capitalised word is a name ("Kyle"), not an acronym ("MQLs", "SSO").
        return any(w.lower() in self.first_names for w in words) or bool(
            len(words) == 1 and head[:1].isupper() and sum(c.isupper() for c in head) == 1
        )

    def substance(self, text: str, limit: int = 4) -> list[str]:
        """Things worth naming back, best first: names, then people and roles, then the
        things of a sales week, then quantities; each in the coach's voice."""
        # What follows a "but" is usually what the seller is turning over: "I closed the
        # biggest deal of my career, but I steamrolled our SE".
        turn = max((m.end() for m in _CONTRAST.finditer(text)), default=-1)
        spans = sorted(
            self._spans(text), key=lambda s: (s.rank - (1.5 if s.start > turn >= 0 else 0), s.start)
        )
        out: list[str] = []
        for span in spans:
            phrase = self._capitalised(second_person(span.text))
            if phrase.lower() not in (o.lower() for o in out):
                out.append(phrase)
            if len(out) >= limit:
                break
        return out

    def _spans(self, text: str) -> Iterable[_Span]:
        taken: list[tuple[int, int]] = []

        def free(a: int, b: int) -> bool:
            return all(b <= x or a >= y for x, y in taken)

        for m in _QUANTITY.finditer(text):
            taken.append((m.start(), m.end()))
            yield _Span(m.start(), m.group(0), 4)
        for m in self.company.finditer(text):
            if _not_a_name(m.group(2)):
                continue
            start = m.start(1) if m.group(1) and not _not_a_name(m.group(1)) else m.start(2)
            if free(start, m.end()):
                taken.append((start, m.end()))
                yield _Span(start, text[start : m.end()], 0)
        for m in self.roles.finditer(text):
            det, mod, head = m.group(1), m.group(2), m.group(3)
            keep_mod = bool(mod) and self._qualifies(mod, det)
            start = m.start(2) if keep_mod else m.start(3)
            if det and det.lower() in {"a", "an", "that", "this"}:
                det = "the"
            if not det:
                det = "" if head.lower() in _DEPARTMENTS and not keep_mod else "the"
            phrase = " ".join(x for x in (det, mod if keep_mod else None, head) if x)
            if free(start, m.end()):
                taken.append((start, m.end()))
                general = head.lower() in self.generic and not keep_mod
                yield _Span(start, phrase, 3 if general else 1)
        for name_start, name, rank in self._names(text):
            if free(name_start, name_start + len(name)):
                taken.append((name_start, name_start + len(name)))
                yield _Span(name_start, name, rank)
        for m in self.things.finditer(text):
            det, mod, head = m.group(1), m.group(2), m.group(3)
            keep_mod = bool(mod) and self._qualifies(mod, det)
            start = m.start(2) if keep_mod else m.start(3)
            if not free(start, m.end()):
                continue
            taken.append((start, m.end()))
            words = [mod] if keep_mod else []
            lead = det if det and det.lower() not in {"a", "an"} else "the"
            yield _Span(start, " ".join([lead, *words, head]), 2 if keep_mod else 3)

    def _capitalised(self, phrase: str) -> str:
        """Names as names, however the seller typed them: "priya" -> "Priya", "korvo foods"
        -> "Korvo Foods". A word after an article is a role ("the dev"), not a name."""
        words = phrase.split()
        company = self.company.fullmatch(phrase)
        if company is not None and (
            _not_a_name(company.group(2)) or (company.group(1) and _not_a_name(company.group(1)))
        ):
            company = None
        out = []
        for n, w in enumerate(words):
            after_article = n > 0 and words[n - 1].lower() in _DETERMINERS | _TO_YOU.keys() | {
                "your"
            }
            after_title = n > 0 and words[n - 1].lower().rstrip(".") in _TITLES
            if w.islower() and (
                company is not None or after_title or (w in self.first_names and not after_article)
            ):
                w = w[:1].upper() + w[1:]
            out.append(w)
        return " ".join(out)

    def _qualifies(self, mod: str, det: str | None) -> bool:
        """A word that makes a thing specific: "the SSO question", "the forecast call"; any
        other word only after an article ("the cobalt call", not "trust CS")."""
        low = mod.lower()
        if low in self.role_modifiers:
            return True  # "the sales director", "my new manager"
        if low in _FUNCTION or low in _NOT_NAMES or not low.isalpha() or len(low) < 3:
            return False
        if self._named(mod) or self.thing_words.match(mod) or self.role_words.match(mod):
            return True
        return bool(det) and not low.endswith(("ed", "ing", "ly"))

    def _named(self, word: str, *, opens: bool = False) -> bool:
        """A name or jargon: capitalised or an acronym (not just for opening a sentence), or
        a word the tokenizer does not know."""
        bare = word.strip("'’.,").lower()
        if bare in _NOT_NAMES or not bare.isalpha():
            return False
        unknown = bool(self.known) and not _known_form(bare, self.known)
        if word[:1].isupper() and (not opens or unknown or word.isupper()):
            return True
        if bare in self.first_names:
            return True
        return unknown and not bare.endswith(("ed", "ing", "ly", "ness"))

    def _names(self, text: str) -> Iterable[tuple[int, str, int]]:
        """Runs of name-like words, with their rank: "Northwind Logistics" and "SSO" (0), or
        a lowercase word the tokenizer does not know, "kestrel" or "questionnaire" (2)."""
        run: list[tuple[int, str]] = []
        for m in _WORD.finditer(text):
            word = m.group(0).strip("'’.:")
            before = text[: m.start()].rstrip(" \t\"'“‘(")
            opens = not before or before[-1] in ".!?\n"
            rest = text[m.end() : m.end() + 1]
            if word.lower() in _ABBREVIATIONS and rest == ".":
                # "Dr. Mensah", "St. Anne's": the abbreviation is no name of its own; "the
                # difference with St?" was said to a seller.
                continue
            if word and self._named(word, opens=opens) and not self.role_words.match(word):
                run.append((m.start(), word))
                if rest in ".!?,;:":
                    yield from _run(run, text, names=self.first_names)
                    run = []
                continue
            if run and (self.thing_words.match(word) or self.role_words.match(word)):
                run.append((m.start(), word))  # "the Carver deal", "the Halvorsen renewal"
                yield from _run(run, text, thing=True, names=self.first_names)
                run = []
                continue
            yield from _run(run, text, names=self.first_names)
            run = []
        yield from _run(run, text, names=self.first_names)

    # -- commitments ----------------------------------------------------------------------------

    def commitment_clause(self, text: str) -> str | None:
        """The seller's whole commitment: from the first sentence that commits to the end of
        the message, minus what follows as a story or a feeling."""
        parts = message_sentences(text)
        for n, sentence in enumerate(parts):
            if self.commits(sentence):
                # What leads up to it is the plan too ("Hollis & Grant goes first, monday
                # 10am. then writing up what worked"), unless it tells what already happened.
                start = n
                while start > 0 and _leads_in(parts[start - 1], self.past):
                    start -= 1
                tail = parts[start : n + 1]
                for later in parts[n + 1 :]:
                    if self.commits(later) or _continues(later):
                        tail.append(later)
                    else:
                        break
                return " ".join(tail).strip()
        return None

    def states_intention(self, text: str) -> bool:
        """An explicit first-person plan: "I will", "I'm going to", "gonna"."""
        return any(p.search(text) for p in self.cues)

    def commits(self, sentence: str) -> bool:
        if any(p.search(sentence) for p in self.cues):
            return True
        return self.opens_with_step(sentence)

    def opens_with_step(self, sentence: str) -> bool:
        """A plan told by its verb: "thank her publicly I guess", "blocking friday mornings
        for Q4 prospecting". Not a story told the same way ("put it in commit last week")."""
        first = re.sub(
            r"^(?:\W|so|ok|okay|and|then|maybe|probably|prob|i think|i guess|honestly|just)+\s*",
            "",
            sentence.lower(),
        )
        word, _, rest = first.partition(" ")
        word = word.strip(",.;:")
        if word.endswith("ing") and re.match(
            r"to (believe|think|feel|see|realis|realiz|wonder)", rest
        ):
            return False  # "starting to believe the intro could go somewhere"
        if not any(v in self.verbs for v in _verb_forms(word)):
            return False
        return self.past is None or not self.past.search(sentence)

    def is_setback(self, text: str) -> bool:
        """A loss told plainly: a congratulation would be the worst misreading."""
        return bool(self.setback and self.setback.search(text)) and not (
            self.success and self.success.search(text)
        )

    def asks_the_coach(self, text: str) -> bool:
        return bool(self.asking and self.asking.search(text))

    def pushes_back(self, text: str) -> bool:
        return bool(self.pushback and self.pushback.search(text))


def _run(
    run: list[tuple[int, str]],
    text: str = "",
    *,
    thing: bool = False,
    names: frozenset[str] = frozenset(),
) -> Iterable[tuple[int, str, int]]:
    if run:
        words = [w for _, w in run]
        # "the POC", "our CRM": the article the seller used comes along.
        before = text[: run[0][0]].split()
        person = any(w.lower() in names for w in words)
        if before and before[-1].lower().rstrip(".") in _TITLES:
            words.insert(0, before[-1][:1].upper() + before[-1][1:])  # "dr mensah": "Dr Mensah"
            person = True
        elif before and before[-1].lower() in _DETERMINERS - {"a", "an"} and not person:
            words.insert(0, before[-1])
        # "Priya", "Northwind Logistics": 0; an acronym ("POC", "ARR") or a word the tokenizer
        # does not know ("kestrel", "questionnaire"): 2, after the people and roles.
        capital = any(w[:1].isupper() and not w.isupper() for w in words)
        if thing and not (before and before[-1].lower() in _DETERMINERS - {"a", "an"}):
            words.insert(0, "the")
        yield run[0][0], " ".join(words), 0 if capital or thing or person else 2


_TOLD = re.compile(
    r"\b(was|were|had|did|didn'?t|told|said|went|got|felt|lost|saw|heard|came|sent|"
    r"sat|took|made|left|kept|gave|ran|spent|forgot|blew|thought|\w{3,}ed)\b",
    re.IGNORECASE,
)


def _leads_in(sentence: str, past: re.Pattern[str] | None) -> bool:
    """A sentence before a plan that belongs to it: not a story, a question or a feeling."""
    if asks(sentence) or _TOLD.search(sentence):
        return False
    return past is None or not past.search(sentence)


def _continues(sentence: str) -> bool:
    """A short follow-on that belongs to the plan ("tomorrow.", "in person, not slack.")."""
    low = sentence.lower()
    return len(low.split()) <= 6 or low.startswith(("and ", "then ", "also ", "actually "))


def _not_a_name(word: str) -> bool:
    low = word.lower()
    return low in _FUNCTION or low in _NOT_NAMES or low in _DETERMINERS or low.endswith("est")


def _any_of(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None


def _verb_forms(word: str) -> tuple[str, ...]:
    """The word and, for an -ing word, its plain forms: "splitting" -> "split", "writing" ->
    "write", "asking" -> "ask"."""
    if not word.endswith("ing") or len(word) < 5:
        return (word,)
    stem = word[:-3]
    forms = [word, stem, stem + "e"]
    if stem[-1] == stem[-2]:
        forms.append(stem[:-1])  # splitting, setting, mapping
    return tuple(forms)


def _known_form(word: str, known: frozenset[str]) -> bool:
    if word in known or len(word) <= 3:
        return True
    for suffix in ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "'s"):
        if word.endswith(suffix) and word[: -len(suffix)] in known:
            return True
    return word.endswith("ing") and word[:-3] + "e" in known


def _piece_around(text: str, start: int, end: int) -> str:
    """The clause around a match: the words that carry a feeling, not the whole message."""
    left = max(text.rfind(c, 0, start) for c in ".,;!?\n")
    rights = [i for i in (text.find(c, end) for c in ".,;!?\n") if i != -1]
    right = min(rights) if rights else len(text)
    return text[left + 1 : right].strip()
