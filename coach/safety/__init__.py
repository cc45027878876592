"""Safety for what comes in: the seller's message normalised, its language, its risk, and
whether it asks the coach for something else. (Checks on what goes out are in coach/guards.)"""

from coach.safety.language import ENGLISH, Language, LanguageGuesser
from coach.safety.normalise import Normalised, normalise
from coach.safety.triage import (
    Answer,
    Classifiers,
    CrisisTraining,
    Encoder,
    RequestTraining,
    SafetyFileError,
    SafetyRules,
    SafetyTriage,
    Triage,
    Verdict,
    load_training,
)
from coach.text import LinearClassifier

__all__ = [
    "ENGLISH",
    "Answer",
    "Classifiers",
    "CrisisTraining",
    "Encoder",
    "Language",
    "LanguageGuesser",
    "LinearClassifier",
    "Normalised",
    "RequestTraining",
    "SafetyFileError",
    "SafetyRules",
    "SafetyTriage",
    "Triage",
    "Verdict",
    "load_training",
    "normalise",
]
