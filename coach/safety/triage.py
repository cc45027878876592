"""Deterministic safety triage, from the phrase lists in data/safety.yaml.

It runs before retrieval and before any model, so it behaves the same on every tier: crisis
language gets care and resources instead of coaching; instruction injection, manipulation
requests and off-topic requests get a one-sentence redirect. Text is only ever matched, never
obeyed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coach.datafiles import YAMLError, first_problem, parse_yaml
from coach.errors import CoachError
from coach.vectorcache import VectorCache, fingerprint


class Verdict(StrEnum):
    OK = "ok"
    CRISIS = "crisis"
    INJECTION = "injection"
    MANIPULATION = "manipulation"
    OFF_TOPIC = "off_topic"


class SafetyFileError(CoachError, ValueError):
    """data/safety.yaml is missing or malformed."""


def _compile(patterns: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in patterns]


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    patterns: list[str] = Field(min_length=1)
    redirect: str = ""
    redirect_again: str = ""

    @field_validator("patterns")
    @classmethod
    def _valid_regexes(cls, value: list[str]) -> list[str]:
        for p in value:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"bad pattern {p!r}: {exc}") from None
        return value


class _CrisisRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patterns: list[str] = Field(min_length=1)
    weak_patterns: list[str] = Field(default_factory=list)
    risk_terms: list[str] = Field(default_factory=list)
    false_alarms: list[str] = Field(default_factory=list)
    resources: list[str] = Field(min_length=1)
    reply: str
    follow_up: str


class _InjectionRules(_Rules):
    leet: dict[str, str] = Field(default_factory=dict)


class _SafetyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    crisis: _CrisisRules
    injection: _InjectionRules
    manipulation: _Rules
    off_topic: _Rules


@dataclass(frozen=True)
class Triage:
    verdict: Verdict
    matched: str = ""  # the words that raised it, for transcripts and reviews
    layer: str = "pattern"  # which layer decided: the phrase patterns or the semantic examples

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


class SafetyRules:
    """Compiled triage rules and the texts the coach answers with."""

    def __init__(self, spec: _SafetyFile) -> None:
        self.crisis = _compile(spec.crisis.patterns)
        self.crisis_weak = _compile(spec.crisis.weak_patterns)
        self.risk_terms = _compile(spec.crisis.risk_terms)
        self.false_alarms = _compile(spec.crisis.false_alarms)
        self.injection = _compile(spec.injection.patterns)
        self.leet = str.maketrans(spec.injection.leet)
        self.manipulation = _compile(spec.manipulation.patterns)
        self.off_topic = _compile(spec.off_topic.patterns)
        self.resources = tuple(spec.crisis.resources)
        self.crisis_reply = " ".join(spec.crisis.reply.split())
        self.crisis_follow_up = " ".join(spec.crisis.follow_up.split())
        self.redirects = {
            v: (" ".join(r.redirect.split()), " ".join((r.redirect_again or r.redirect).split()))
            for v, r in (
                (Verdict.INJECTION, spec.injection),
                (Verdict.MANIPULATION, spec.manipulation),
                (Verdict.OFF_TOPIC, spec.off_topic),
            )
        }

    @classmethod
    def load(cls, path: Path) -> SafetyRules:
        try:
            data = parse_yaml(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SafetyFileError(f"Safety file not found: {path}.") from None
        except YAMLError:
            raise SafetyFileError(f"Safety file {path} is not valid YAML.") from None
        try:
            return cls(_SafetyFile.model_validate(data))
        except ValidationError as exc:
            loc, msg = first_problem(exc)
            raise SafetyFileError(f"Safety file {path} is invalid at {loc}: {msg}.") from None

    def triage(self, text: str, semantic: SemanticScores | None = None) -> Triage:
        """Classify one message. Crisis first: nothing outranks a person's safety.

        `semantic` (optional) holds the semantic layer's scores for the same message: a crisis
        score counts as one more weak sign, the others decide when the patterns found nothing.
        """
        flat = " ".join(text.split())
        cleaned = self.without_false_alarms(flat)
        crisis = self._crisis_match(cleaned, semantic) or self._crisis_match(
            _g_dropped(cleaned), None
        )
        if crisis:
            return Triage(Verdict.CRISIS, crisis)
        # Injection is matched on the raw text too (fake "SYSTEM:" lines need their newlines),
        # with leetspeak undone and letter-by-letter spacing closed up.
        variants = (text, flat, flat.translate(self.leet), _close_spaced_letters(text), flat[::-1])
        for pattern in self.injection:
            for variant in variants:
                m = pattern.search(variant)
                if m:
                    return Triage(Verdict.INJECTION, m.group(0).strip())
        for verdict, patterns in (
            (Verdict.MANIPULATION, self.manipulation),
            (Verdict.OFF_TOPIC, self.off_topic),
        ):
            for pattern in patterns:
                m = pattern.search(text) or pattern.search(flat)
                if m:
                    return Triage(verdict, m.group(0).strip())
        if semantic is not None:
            for verdict in (Verdict.INJECTION, Verdict.MANIPULATION, Verdict.OFF_TOPIC):
                score, sentence = semantic.scores[verdict]
                if score >= semantic.thresholds[verdict]:
                    return Triage(verdict, sentence, layer="semantic")
        return Triage(Verdict.OK)

    def without_false_alarms(self, flat: str) -> str:
        for alarm in self.false_alarms:
            flat = alarm.sub(" ", flat)
        return flat

    def _crisis_match(self, cleaned: str, semantic: SemanticScores | None) -> str:
        for pattern in self.crisis:
            m = pattern.search(cleaned)
            if m:
                return m.group(0)
        weak = [m.group(0) for p in self.crisis_weak if (m := p.search(cleaned))]
        if semantic is not None:
            probability, sentence = semantic.crisis_probability
            if probability >= semantic.classifier_threshold:
                return sentence
            score, sentence = semantic.scores[Verdict.CRISIS]
            if score >= semantic.crisis_alone:
                return sentence
            if score >= semantic.thresholds[Verdict.CRISIS]:
                weak.append(sentence)
        if len(weak) >= 2:
            return " … ".join(weak)
        return ""

    def redirect_for(self, verdict: Verdict, already_said: Collection[str] = ()) -> str:
        """The redirect, or its second wording when this session has heard the first."""
        first, again = self.redirects[verdict]
        return again if first in already_said else first


class _ExampleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classifier_threshold: float = Field(ge=0, le=1)
    thresholds: dict[str, float]
    crisis_alone: float = Field(description="A crisis score this high needs no second sign.")
    margin: float = 0.0
    crisis: list[str] = Field(min_length=1)
    injection: list[str] = Field(min_length=1)
    manipulation: list[str] = Field(min_length=1)
    off_topic: list[str] = Field(min_length=1)
    contrast: list[str] = Field(min_length=1)


class _TrainingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    crisis: list[str] = Field(min_length=10)
    not_crisis: list[str] = Field(min_length=10)


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


@dataclass(frozen=True)
class SemanticScores:
    scores: dict[Verdict, tuple[float, str]]
    thresholds: dict[Verdict, float]
    crisis_alone: float
    # The crisis classifier's highest probability over sentences that contain a risk term.
    crisis_probability: tuple[float, str] = (0.0, "")
    classifier_threshold: float = 1.0


class CrisisClassifier:
    """Logistic regression over sentence embeddings, trained on data/crisis_training.yaml.

    It only ever sees sentences that contain a risk term (data/safety.yaml), so its job is the
    narrow one it can do: tell "I keep counting my pills" from "the pipeline is dead".
    """

    def __init__(self, weights: NDArray[np.float32]) -> None:
        self.w = weights[:-1]
        self.b = float(weights[-1])

    @staticmethod
    def fit(positives: NDArray[np.float32], negatives: NDArray[np.float32]) -> NDArray[np.float32]:
        """Deterministic full-batch gradient descent (L2 1e-3); ~0.2 s for 1,000 sentences."""
        x = np.vstack([positives, negatives]).astype(np.float32)
        y = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))]).astype(np.float32)
        w = np.zeros(x.shape[1], dtype=np.float32)
        b = 0.0
        for _ in range(2000):
            p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
            g = p - y
            w -= x.T @ g / len(y) + 1e-3 * w
            b -= float(g.mean())
        out: NDArray[np.float32] = np.append(w, np.float32(b)).astype(np.float32)
        return out

    def probability(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        out: NDArray[np.float32] = 1.0 / (1.0 + np.exp(-(vectors @ self.w + self.b)))
        return out


class SemanticLayer:
    """Nearest-example scores over sentence embeddings (data/safety_examples.yaml)."""

    def __init__(
        self,
        spec: _ExampleFile,
        encoder: Encoder,
        risk_terms: Sequence[re.Pattern[str]],
        training: _TrainingFile,
        extra_negatives: Sequence[str] = (),
        cache: VectorCache | None = None,
        encoder_id: str = "",
    ) -> None:
        self.encoder = encoder
        self.thresholds = {Verdict(k): v for k, v in spec.thresholds.items()}
        self.crisis_alone = spec.crisis_alone
        self.classifier_threshold = spec.classifier_threshold
        self.margin = spec.margin
        self.risk_terms = list(risk_terms)
        cache = cache or VectorCache(None)

        def encoded(name: str, texts: Sequence[str]) -> NDArray[np.float32]:
            key = fingerprint([encoder_id, *texts])
            return cache.get(name, key, lambda: encoder.encode(list(texts)))

        banks = {
            Verdict.CRISIS: spec.crisis,
            Verdict.INJECTION: spec.injection,
            Verdict.MANIPULATION: spec.manipulation,
            Verdict.OFF_TOPIC: spec.off_topic,
        }
        self.vectors = {v: encoded(f"safety-{v.value}", texts) for v, texts in banks.items()}
        self.contrast = encoded("safety-contrast", spec.contrast)
        negatives = [*training.not_crisis, *extra_negatives]
        key = fingerprint([encoder_id, "crisis-classifier", *training.crisis, "\1", *negatives])
        self.classifier = CrisisClassifier(
            cache.get(
                "crisis-classifier",
                key,
                lambda: CrisisClassifier.fit(
                    encoder.encode(training.crisis), encoder.encode(negatives)
                ),
            )
        )

    @classmethod
    def load(
        cls,
        path: Path,
        training_path: Path,
        encoder: Encoder,
        rules: SafetyRules,
        *,
        extra_negatives: Sequence[str] = (),
        cache: VectorCache | None = None,
        encoder_id: str = "",
    ) -> SemanticLayer:
        try:
            spec = _ExampleFile.model_validate(parse_yaml(path.read_text(encoding="utf-8")))
            training = _TrainingFile.model_validate(
                parse_yaml(training_path.read_text(encoding="utf-8"))
            )
        except (OSError, YAMLError, ValidationError) as exc:
            raise SafetyFileError(f"Safety data {path.name} cannot be used: {exc}") from None
        return cls(spec, encoder, rules.risk_terms, training, extra_negatives, cache, encoder_id)

    def score(self, text: str) -> SemanticScores:
        """Per risk bank: the best similarity of any sentence that is nearer that bank than any
        contrast example, and that sentence."""
        parts = [s for s in split_sentences(text) if len(s.split()) >= 2] or [text]
        vecs = self.encoder.encode(parts)
        contrast = (vecs @ self.contrast.T).max(axis=1)
        out: dict[Verdict, tuple[float, str]] = {}
        for verdict, bank in self.vectors.items():
            sims = (vecs @ bank.T).max(axis=1)
            usable = np.where(sims >= contrast + self.margin, sims, 0.0)
            best = int(np.argmax(usable))
            out[verdict] = (float(usable[best]), parts[best])
        risky = [i for i, p in enumerate(parts) if any(t.search(p) for t in self.risk_terms)]
        crisis_probability = (0.0, "")
        if risky:
            probs = self.classifier.probability(vecs[risky])
            best = int(np.argmax(probs))
            crisis_probability = (float(probs[best]), parts[risky[best]])
        return SemanticScores(
            out,
            self.thresholds,
            self.crisis_alone,
            crisis_probability,
            self.classifier_threshold,
        )


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;])\s+|\n+", text) if s.strip()]


def _g_dropped(text: str) -> str:
    """Casual spelling written out: "swallowin", "thinkin bout", "wakin up" as "-ing" words."""
    return re.sub(r"\b(\w{3,}?)in'?(?=\s|$|[.,!?])", r"\1ing", text)


def _close_spaced_letters(text: str) -> str:
    """ "i g n o r e  y o u r  r u l e s" -> "ignore your rules" (an obfuscation trick)."""

    def join(m: re.Match[str]) -> str:
        return re.sub(r"(?<=\S) (?=\S)", "", m.group(0)).replace("  ", " ")

    return " ".join(re.sub(r"(?:\b\w(?: {1,3}|$)){4,}", join, text).split())


class SafetyTriage:
    """The phrase patterns, with the semantic layer's scores when there is one."""

    def __init__(self, rules: SafetyRules, semantic: SemanticLayer | None = None) -> None:
        self.rules = rules
        self.semantic = semantic

    def triage(self, text: str) -> Triage:
        scores = None
        if self.semantic is not None:
            scores = self.semantic.score(self.rules.without_false_alarms(" ".join(text.split())))
        return self.rules.triage(text, scores)
