"""Triage of what comes in: the seller's message, read whole, before retrieval or any model.

It behaves the same on every tier. Risk first: `acute` (intent, plan, means, a goodbye, an attempt,
self-harm) gets crisis support; `concern` (hopelessness, feeling a burden, a passive wish not to
be here) gets a caring check-in that asks plainly about suicide. Then instructions aimed at the
coach (injection), requests to deceive someone (manipulation), requests for something else
(off-topic) and text in another language each get one answer that names what was asked. Text is
only ever read, never obeyed.

Two layers decide together: phrase patterns (data/safety.yaml), precise on the wordings they
know, and linear classifiers over sentence vectors (coach/text/classifier.py), trained on
examples written for this project (data/crisis_training.yaml, data/request_training.yaml), for
the wordings no list holds.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from coach.datafiles import DataFileError, build_from_data_file, load_data_file
from coach.limits import spread
from coach.safety.language import ENGLISH, Language, LanguageGuesser
from coach.safety.normalise import Normalised, normalise
from coach.text import LinearClassifier, PatternStore, one_line, split_sentences


class Verdict(StrEnum):
    OK = "ok"
    CRISIS = "crisis"  # acute risk
    CONCERN = "concern"  # risk to ask about plainly
    INJECTION = "injection"
    MANIPULATION = "manipulation"
    OFF_TOPIC = "off_topic"
    LANGUAGE = "language"  # not English, no risk

    @property
    def risk(self) -> bool:
        return self in (Verdict.CRISIS, Verdict.CONCERN)


class Answer(StrEnum):
    """What a reply to the plain question about suicide says."""

    NO = "no"  # "no, god no, it's just work": back to the reflection, gently
    YES = "yes"  # "sometimes", "no, I mean it": thanks, and safety now
    UNCLEAR = "unclear"  # "why do you ask": asked again, then held open


SafetyFileError = DataFileError


class _Patterns(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patterns: list[str] = Field(min_length=1)


class _Named(BaseModel):
    """A kind of request, recognised by its words, and how the coach names it back."""

    model_config = ConfigDict(extra="forbid")
    pattern: str
    says: str


class _Redirect(_Patterns):
    redirect: str
    redirect_again: str = ""
    default_name: str = "that"
    names: list[_Named] = Field(default_factory=list)


class _DangerNow(BaseModel):
    """Danger happening as the seller writes: read only in a message already judged acute."""

    model_config = ConfigDict(extra="forbid")

    patterns: list[str] = Field(min_length=1)
    reply: str
    again: str


class _CrisisRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patterns: list[str] = Field(min_length=1)
    concern_patterns: list[str] = Field(min_length=1)
    false_alarms: list[str] = Field(default_factory=list)
    check_in_no: list[str] = Field(min_length=1)
    check_in_yes: list[str] = Field(min_length=1)
    resources: list[str] = Field(min_length=1)
    reply: str
    follow_up: list[str] = Field(min_length=1)
    check_in: str
    check_in_again: str
    check_in_held: list[str] = Field(min_length=1)
    check_in_disclosed: str
    check_in_cleared: str
    danger_now: _DangerNow


class _Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    risk: float = Field(gt=0, lt=1, description="P(concern) + P(acute) of the whole message")
    risk_sentence: float = Field(
        gt=0, lt=1, description="...of one sentence or pair: a short one out of context misleads"
    )
    risk_before_redirect: float = Field(
        gt=0, lt=1, description="...of a message a request classifier would turn away"
    )
    acute: float = Field(gt=0, lt=1, description="share of that risk that makes it acute")
    check_in_no: float = Field(gt=0, lt=1)
    injection: float = Field(gt=0, lt=1)
    manipulation: float = Field(gt=0, lt=1)
    off_topic: float = Field(gt=0, lt=1)
    off_topic_sentence: float = Field(gt=0, lt=1)
    risk_other_language: float = Field(
        gt=0, lt=1, description="the same, for a message not in English (character n-grams)"
    )
    risk_other_language_sentence: float = Field(gt=0, lt=1)


class _SafetyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thresholds: _Thresholds
    crisis: _CrisisRules
    injection: _Redirect
    manipulation: _Redirect
    off_topic: _Redirect
    language: str
    language_help: str
    hidden_name: str
    hidden_notice: str
    addressed: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class Triage:
    verdict: Verdict
    matched: str = ""  # the words that raised it, for transcripts and reviews
    layer: str = "pattern"  # which layer decided: pattern, classifier, decoded, retrieval
    says: str = ""  # what was asked, in the coach's words ("a recipe"), for the redirect
    notes: tuple[str, ...] = ()  # what the normaliser removed or decoded
    language: Language = ENGLISH
    urgent: bool = False  # acute, and the danger is happening now: safety first, in the reply

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


# What the normaliser removes that the seller cannot see (decoded text is judged, not removed).
HIDDEN_NOTES = ("hidden tag characters", "zero-width characters")


class SafetyRules:
    """Compiled patterns and the texts the coach answers with (data/safety.yaml)."""

    def __init__(self, spec: _SafetyFile, store: PatternStore | None = None) -> None:
        """`store` keeps the compiled patterns between processes (coach/text/patterns.py).
        A bad pattern raises `re.error`."""
        store = store or PatternStore(None, "safety")

        def _compile(patterns: Sequence[str]) -> list[re.Pattern[str]]:
            return store.compile_all(patterns, re.IGNORECASE)

        self.spec = spec
        self.thresholds = spec.thresholds
        self.acute = _compile(spec.crisis.patterns)
        self.concern = _compile(spec.crisis.concern_patterns)
        self.false_alarms = _compile(spec.crisis.false_alarms)
        self.check_in_no = _compile(spec.crisis.check_in_no)
        self.check_in_yes = _compile(spec.crisis.check_in_yes)
        self.resources = tuple(spec.crisis.resources)
        self.crisis_reply = one_line(spec.crisis.reply)
        self.crisis_follow_ups = tuple(one_line(t) for t in spec.crisis.follow_up)
        self.check_in = one_line(spec.crisis.check_in)
        self.check_in_again = one_line(spec.crisis.check_in_again)
        self.check_in_held = tuple(one_line(t) for t in spec.crisis.check_in_held)
        self.check_in_disclosed = one_line(spec.crisis.check_in_disclosed)
        self.check_in_cleared = one_line(spec.crisis.check_in_cleared)
        self.danger_now = _compile(spec.crisis.danger_now.patterns)
        self.danger_now_replies = (
            one_line(spec.crisis.danger_now.reply),
            one_line(spec.crisis.danger_now.again),
        )
        self.language_reply = one_line(spec.language)
        self.requests = {
            Verdict.INJECTION: spec.injection,
            Verdict.MANIPULATION: spec.manipulation,
            Verdict.OFF_TOPIC: spec.off_topic,
        }
        self.patterns = {v: _compile(r.patterns) for v, r in self.requests.items()}
        self.redirects = {
            v: (one_line(r.redirect), one_line(r.redirect_again or r.redirect))
            for v, r in self.requests.items()
        }
        answer = f"{self.language_reply} {one_line(spec.language_help)}"
        self.redirects[Verdict.LANGUAGE] = (answer, answer)
        self.default_names = {v: r.default_name for v, r in self.requests.items()}
        self.names = {
            v: [(store.compile(n.pattern, re.IGNORECASE), n.says) for n in r.names]
            for v, r in self.requests.items()
        }
        self.addressed = _compile(spec.addressed)
        store.save()

    @classmethod
    def load(cls, path: Path, store: PatternStore | None = None) -> SafetyRules:
        return build_from_data_file(
            path, _SafetyFile, "Safety file", lambda spec: cls(spec, store), SafetyFileError
        )

    def hidden_notice(self, notes: Sequence[str]) -> str | None:
        """One sentence saying what invisible text was removed from the message, if any."""
        hidden = [n for n in notes if n in HIDDEN_NOTES]
        if not hidden:
            return None
        return self.spec.hidden_notice.format(what=" and ".join(hidden))

    def without_false_alarms(self, text: str) -> str:
        for alarm in self.false_alarms:
            text = alarm.sub(" ", text)
        return text

    def danger_now_in(self, text: str) -> bool:
        """Whether an acute message says the danger is happening now (a cord at the neck, on
        the ledge, pills just swallowed, "right now")."""
        return any(p.search(text) for p in self.danger_now)

    def risk_pattern(self, text: str) -> tuple[Verdict, str] | None:
        cleaned = self.without_false_alarms(text)
        for variant in dict.fromkeys((cleaned, _g_dropped(cleaned))):  # once when alike
            for verdict, patterns in (
                (Verdict.CRISIS, self.acute),
                (Verdict.CONCERN, self.concern),
            ):
                for pattern in patterns:
                    m = pattern.search(variant)
                    if m:
                        return verdict, m.group(0)
        return None

    def request_pattern(self, readings: Sequence[str]) -> tuple[Verdict, str] | None:
        for verdict, patterns in self.patterns.items():
            for pattern in patterns:
                for reading in readings:
                    m = pattern.search(reading)
                    if m:
                        return verdict, m.group(0).strip()
        return None

    def asks(self, sentence: str) -> bool:
        """Whether a sentence asks or instructs (see `addressed` in data/safety.yaml)."""
        return any(p.search(sentence) for p in self.addressed)

    def name_request(self, verdict: Verdict, text: str) -> str:
        for pattern, says in self.names.get(verdict, []):
            if pattern.search(text):
                return says
        return ""

    def redirect_for(
        self, verdict: Verdict, already_said: Collection[str] = (), says: str = ""
    ) -> str:
        """The redirect, naming what was asked (`says`); its second wording once the session
        has heard the first, so no question is repeated."""
        first, again = self.redirects[verdict]
        fixed = max(re.split(r"\{[Aa]sked\}", first), key=len)
        text = again if any(fixed in said for said in already_said) else first
        asked = says or self.default_names.get(verdict, "that")
        text = text.replace("{Asked}", asked[:1].upper() + asked[1:]).replace("{asked}", asked)
        return text


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


@dataclass(frozen=True)
class Classifiers:
    """The trained layers: risk (none, concern, acute), the same for messages not in English,
    the answer to a check-in (no, not_no), and requests (on_topic, off_topic, injection,
    manipulation)."""

    risk: LinearClassifier
    check_in: LinearClassifier
    requests: LinearClassifier
    risk_other_language: LinearClassifier | None = None


@dataclass
class _Units:
    """A message as the classifiers see it: each sentence, each pair of neighbours, and the
    whole (pairs and the whole are averages of sentence vectors, so nothing is encoded twice)."""

    texts: list[str]
    vectors: NDArray[np.float32]
    sentences: int

    @property
    def whole(self) -> int:
        return len(self.texts) - 1


@dataclass
class SafetyTriage:
    rules: SafetyRules
    encoder: Encoder
    classifiers: Classifiers
    languages: LanguageGuesser
    # A pasted page is read as this many sentences spread over it, plus the `suspects` others
    # that a cheap screen (character n-grams, no vectors) rates most like risk: the work stays
    # bounded and a sentence buried in the middle of the notes is still read.
    max_sentences: int = 40
    suspects: int = 8

    def normalise(self, text: str) -> Normalised:
        # English's common words tell decoded text that reads as words from noise.
        return normalise(text, self.languages.english_words)

    def triage(self, text: str) -> Triage:
        """Classify one message. Risk first: nothing outranks a person's safety."""
        norm = self.normalise(text)
        visible = one_line(norm.text)
        folded = (
            norm.variants[0] if norm.variants and "look-alike letters" in norm.notes else visible
        )
        language = self.languages.guess(folded)
        units = self._units(folded)
        risk_units = self._risk_units(folded, units)
        risk = self.risk(visible, risk_units, language)
        if risk is not None and risk[2] == "pattern":
            return self._risk_triage(risk, visible, norm, language)
        request = self._request(norm, units, language)
        if risk is None and request is not None and request[2] == "classifier":
            # About to turn a message away on a classifier's word: a lower risk bar first.
            # "The people who love me would be relieved if I were no longer here" scored 0.85
            # and would otherwise have heard that it was outside what the coach can help with.
            risk = self.risk(visible, risk_units, language, redirecting=True)
        # A risk the patterns saw always comes first. One only the classifier saw yields to an
        # injection or manipulation a pattern recognised: "forget your instructions and..."
        # written in German is an attack, not a goodbye.
        if risk is not None and not (
            request is not None
            and request[2] in ("pattern", "decoded")
            and request[0] in (Verdict.INJECTION, Verdict.MANIPULATION)
        ):
            return self._risk_triage(risk, visible, norm, language)
        if request is not None:
            verdict, evidence, layer = request
            says = (
                self.rules.spec.hidden_name
                if layer == "decoded"
                else self.rules.name_request(verdict, " ".join(norm.readings))
            )
            return Triage(verdict, evidence, layer, says, norm.notes, language)
        if not language.english:
            return Triage(
                Verdict.LANGUAGE, language.name, "language", notes=norm.notes, language=language
            )
        return Triage(Verdict.OK, notes=norm.notes, language=language)

    def _risk_triage(
        self, risk: tuple[Verdict, str, str], text: str, norm: Normalised, language: Language
    ) -> Triage:
        verdict, evidence, layer = risk
        urgent = verdict is Verdict.CRISIS and self.rules.danger_now_in(text)
        return Triage(verdict, evidence, layer, notes=norm.notes, language=language, urgent=urgent)

    def risk(
        self,
        text: str,
        units: _Units | None = None,
        language: Language = ENGLISH,
        *,
        redirecting: bool = False,
    ) -> tuple[Verdict, str, str] | None:
        """`acute` or `concern` with the words that raised it and the layer that decided.

        The whole message is the classifier's best witness; a single sentence or pair decides
        alone only when it is very clear (out of context "I've done it the last two years"
        reads like a goodbye). The English sentence vectors read other languages poorly (a
        French instruction scored as a goodbye), so there the patterns and a classifier over
        character n-grams decide.
        """
        found = self.rules.risk_pattern(text)
        if found is not None and (found[0] is Verdict.CRISIS or not language.english):
            return found[0], found[1], "pattern"
        units = units or self._units(text)
        t = self.rules.thresholds
        if language.english:
            clf, sentence_bar = self.classifiers.risk, t.risk_sentence
            whole_bar = t.risk_before_redirect if redirecting else t.risk
        elif self.classifiers.risk_other_language is not None:
            clf = self.classifiers.risk_other_language
            whole_bar, sentence_bar = t.risk_other_language, t.risk_other_language_sentence
        else:
            return None
        p = clf.probabilities(units.vectors, units.texts)
        concern, acute = p[:, clf.column("concern")], p[:, clf.column("acute")]
        score = concern + acute
        bars = np.full(len(score), sentence_bar, dtype=np.float32)
        bars[units.whole] = whole_bar
        over = np.flatnonzero(score >= bars)
        if len(over):
            best = int(over[np.argmax(score[over])])
            acute_share = acute[best] / score[best]
            level = Verdict.CRISIS if acute_share >= t.acute else Verdict.CONCERN
            # The classifier may judge the level, but a risk the patterns saw stays theirs: it
            # never yields to a request pattern ("I have come to believe they would be relieved
            # if I were no longer in their lives" is not a manipulation).
            return level, units.texts[best][:300], "classifier" if found is None else "pattern"
        if found is not None:
            return found[0], found[1], "pattern"
        return None

    def check_in_answer(self, text: str) -> Answer:
        """How a reply to the plain question about suicide answers it. A yes is read first,
        since "no, I mean it" is not a no; a clear no is one that nothing else in it takes
        back and that raises no risk; anything else is unclear."""
        flat = one_line(self.normalise(text).text)
        if any(p.search(flat) for p in self.rules.check_in_yes):
            return Answer.YES
        units = self._units(flat)
        # "no, not really suicidal, just a brutal week" carries the word and means no.
        if self.risk(flat, self._risk_units(flat, units)) is not None:
            return Answer.UNCLEAR
        if any(p.search(flat) for p in self.rules.check_in_no):
            return Answer.NO
        w = units.whole
        p = self.classifiers.check_in.probabilities(
            units.vectors[w : w + 1], units.texts[w : w + 1]
        )
        no = p[0, self.classifiers.check_in.column("no")] >= self.rules.thresholds.check_in_no
        return Answer.NO if no else Answer.UNCLEAR

    def _request(
        self, norm: Normalised, units: _Units, language: Language = ENGLISH
    ) -> tuple[Verdict, str, str] | None:
        if norm.hidden or any(n in norm.notes for n in ("base64", "ROT13")):
            # A seller does not write their week in base64 or invisible characters: whatever
            # such a message carries was written for a model.
            hidden = norm.hidden or next(v for v in norm.variants if v != norm.text)
            return Verdict.INJECTION, hidden[:120], "decoded"
        found = self.rules.request_pattern(norm.readings)
        if found is not None:
            return found[0], found[1], "pattern"
        if not language.english:
            return None  # the English sentence vectors read other languages as noise
        t = self.rules.thresholds
        clf = self.classifiers.requests
        p = clf.probabilities(units.vectors, units.texts)
        # The whole message always speaks for itself; one sentence (or a pair) decides alone
        # only when it asks or instructs. In a story of the week, "Lost my dog this weekend."
        # and "Our security lead found 11 wrong answers." scored as requests out of context.
        asks = np.array([self.rules.asks(s) for s in units.texts[: units.sentences]], bool)
        n = units.sentences
        asking = np.concatenate(
            [asks, asks[:-1] | asks[1:] if n > 1 else np.zeros(0, bool), [True]]
        )
        for verdict, threshold in (
            (Verdict.INJECTION, t.injection),
            (Verdict.MANIPULATION, t.manipulation),
        ):
            col = np.where(asking, p[:, clf.column(verdict.value)], 0.0)
            best = int(np.argmax(col))
            if col[best] >= threshold:
                return verdict, units.texts[best], "classifier"
        off = np.where(asking, p[:, clf.column(Verdict.OFF_TOPIC.value)], 0.0)
        if off[units.whole] >= t.off_topic:
            return (
                Verdict.OFF_TOPIC,
                units.texts[int(np.argmax(off[:n]))],
                "classifier",
            )
        best = int(np.argmax(off[:n]))
        if n <= 3 and off[best] >= t.off_topic_sentence:
            return Verdict.OFF_TOPIC, units.texts[best], "classifier"
        return None

    def _risk_units(self, text: str, units: _Units) -> _Units:
        """What the risk classifier reads: the text without its known false alarms ("shoot
        myself in the foot", "not really suicidal"), as the patterns read it; encoded again
        only when removing them changed it."""
        cleaned = one_line(self.rules.without_false_alarms(text))
        return units if cleaned == one_line(text) else self._units(cleaned)

    def _bounded(self, parts: list[str]) -> list[str]:
        keep = set(spread(len(parts), self.max_sentences - self.suspects))
        screen = self.classifiers.risk_other_language
        rest = [i for i in range(len(parts)) if i not in keep]
        if screen is not None and rest:
            p = screen.probabilities(np.zeros((len(rest), 0), np.float32), [parts[i] for i in rest])
            risk = p[:, screen.column("concern")] + p[:, screen.column("acute")]
            keep |= {rest[int(j)] for j in np.argsort(-risk)[: self.suspects]}
        return [parts[i] for i in sorted(keep)]

    def _units(self, text: str) -> _Units:
        said = split_sentences(text, marks=".!?;…", lines=True)
        parts = [s for s in said if len(s.split()) >= 2] or [text or " "]
        if len(parts) > self.max_sentences:
            parts = self._bounded(parts)
        vecs = self.encoder.encode(parts)
        rows = [vecs]
        texts = list(parts)
        if len(parts) > 1:
            pairs = vecs[:-1] + vecs[1:]
            rows.append(_unit(pairs))
            texts += [f"{a} {b}" for a, b in pairwise(parts)]
        rows.append(_unit(vecs.sum(axis=0, keepdims=True)))
        texts.append(" ".join(parts))
        return _Units(texts, np.vstack(rows).astype(np.float32), len(parts))


def _unit(v: NDArray[np.float32]) -> NDArray[np.float32]:
    out: NDArray[np.float32] = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    return out


def _g_dropped(text: str) -> str:
    """Casual spelling written out: "swallowin", "thinkin bout", "wakin up" as "-ing" words."""
    return re.sub(r"\b(\w{3,}?)in'?(?=\s|$|[.,!?])", r"\1ing", text)


class _TrainingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acute: list[str] = Field(min_length=10)
    concern: list[str] = Field(min_length=10)
    none: list[str] = Field(min_length=10)
    check_in_no: list[str] = Field(min_length=10)
    check_in_not_no: list[str] = Field(min_length=10)


class _RequestFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_topic: list[str] = Field(min_length=10)
    off_topic: list[str] = Field(min_length=10)
    injection: list[str] = Field(min_length=10)
    manipulation: list[str] = Field(min_length=10)


CrisisTraining = _TrainingFile  # the labelled messages of data/crisis_training.yaml
RequestTraining = _RequestFile  # and of data/request_training.yaml


def load_training(crisis_path: Path, request_path: Path) -> tuple[_TrainingFile, _RequestFile]:
    return (
        load_data_file(crisis_path, _TrainingFile, "Crisis training file"),
        load_data_file(request_path, _RequestFile, "Request training file"),
    )
