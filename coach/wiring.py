"""Build the coach's parts from settings: the one place that constructs dependencies.

The app and the CLI call these at their edge and pass the results down; nothing below them
builds its own dependencies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache as cache_result
from pathlib import Path
from typing import TYPE_CHECKING

from coach.principles import PrincipleSet, load_principles
from coach.retrieval import MiniLMEncoder, PrincipleRetriever, files_digest
from coach.settings import Settings

if TYPE_CHECKING:
    from coach.challenge import ChallengeEngine
    from coach.parts import CoachParts
    from coach.reflect import Coach
    from coach.retrieval import ChunkSearch, SnapshotChunkSearch
    from coach.review import Reviewer
    from coach.safety import SafetyTriage
    from coach.understanding import MessageReader


@dataclass
class RetrievalStack:
    principles: PrincipleSet
    encoder: MiniLMEncoder
    retriever: PrincipleRetriever
    index_message: str
    index_rebuilt: bool


def build_parts(
    settings: Settings,
    stack: RetrievalStack | None = None,
    *,
    fast: bool = False,
    defer: bool = False,
) -> CoachParts:
    """Every part the engines share, built once from settings."""
    from coach.guards import Guards
    from coach.llm import PromptLibrary, build_chat_model
    from coach.parts import CoachParts
    from coach.reflect import CoachingScript, ListeningScript
    from coach.text import PatternStore

    stack = stack or build_retrieval(settings, fast=fast, defer=defer)
    inputs = _training_inputs(settings, stack)  # hashed once for the reader and the triage
    return CoachParts(
        principles=stack.principles,
        encoder=stack.encoder,
        retriever=stack.retriever,
        safety=build_safety(settings, stack, inputs=inputs),
        guards=Guards.load(settings.guards_path, PatternStore(settings.cache_dir, "guards")),
        script=CoachingScript.load(settings.coaching_path, stack.principles),
        reader=build_reader(settings, stack, inputs=inputs),
        listening=ListeningScript.load(settings.listening_path),
        prompts=PromptLibrary(settings.prompts_dir),
        chat=build_chat_model(settings),
    )


def build_coach(settings: Settings, parts: CoachParts, *, canary: str | None = None) -> Coach:
    """The coaching engine: the shared parts, and how it behaves from settings. The canary is
    fresh for each engine unless given (tests look for a known one in a leaked prompt)."""
    from coach.reflect import Coach, CoachOptions

    options = CoachOptions(
        wrap_up_after_turns=settings.wrap_up_after_turns,
        model_timeout_s=settings.openai_timeout_s,
        limits=settings.limits,
        model_retries=settings.openai_max_retries,
    )
    return Coach(parts, options if canary is None else replace(options, canary=canary))


def build_challenge(settings: Settings, parts: CoachParts) -> ChallengeEngine:
    """The manager's challenge engine, on the same retrieval, guards and model as the coach."""
    from coach.challenge import ChallengeEngine, ChallengeScript

    return ChallengeEngine(
        parts,
        ChallengeScript.load(settings.challenge_path),
        limits=settings.limits,
        k=settings.retrieval_k,
    )


def build_reviewer(settings: Settings, parts: CoachParts) -> Reviewer:
    """The transcript reviewer, on the same retrieval, guards and safety triage as the coach."""
    from coach.review import Reviewer, ReviewRules

    return Reviewer(parts, ReviewRules.load(settings.review_path), k=settings.retrieval_k)


OTHER_LANGUAGE_C = 8.0


def _training_inputs(settings: Settings, stack: RetrievalStack) -> str:
    """A digest of everything the classifiers are fitted from: the labelled files, the
    principles (their signals are negatives), and the code that turns them into examples
    (this file, the data-file readers, the safety and text packages: edited, they are read
    again, which costs a tenth of a second once)."""
    core = Path(__file__).parent
    code = [core / "datafiles.py", *sorted((core / "safety").glob("*.py"))]
    code += sorted((core / "text").glob("*.py"))
    files = [
        settings.crisis_training_path,
        settings.request_training_path,
        settings.understanding_training_path,
        Path(__file__),
        *code,
    ]
    return files_digest(files, stack.principles.sha256)


def build_reader(
    settings: Settings, stack: RetrievalStack, *, inputs: str | None = None
) -> MessageReader:
    """The message reader: classifiers fitted on the labelled seller messages (cached as
    arrays), and the exact words of data/understanding.yaml."""
    from coach.datafiles import read_jsonl
    from coach.retrieval import ENCODER_ID, VectorCache
    from coach.text import Examples, LinearClassifier
    from coach.understanding import MessageReader, UnderstandingLexicon

    cache = VectorCache(settings.cache_dir)
    inputs = inputs or _training_inputs(settings, stack)

    @cache_result
    def rows() -> list[dict[str, object]]:
        return read_jsonl(settings.understanding_training_path, "Understanding training file")

    def by(key: str) -> Examples:
        out: dict[str, list[str]] = {}
        for row in rows():
            out.setdefault(str(row[key]), []).append(str(row["text"]))
        return dict(sorted(out.items()))

    def train(name: str, examples: Callable[[], Examples]) -> LinearClassifier:
        return LinearClassifier.trained(
            name, examples, stack.encoder.encode, cache, ENCODER_ID, inputs=inputs
        )

    return MessageReader(
        UnderstandingLexicon.load(settings.understanding_path, stack.encoder.vocabulary()),
        stack.encoder.encode,
        moves=train("move-classifier", lambda: by("move")),
        horizons=train("horizon-classifier", lambda: by("horizon")),
        feelings=train(
            "feeling-classifier",
            lambda: {
                "no": [str(r["text"]) for r in rows() if not r["feelings"]],
                "yes": [str(r["text"]) for r in rows() if r["feelings"]],
            },
        ),
    )


def build_safety(
    settings: Settings,
    stack: RetrievalStack,
    *,
    keep: Callable[[str], bool] | None = None,
    inputs: str | None = None,
) -> SafetyTriage:
    """Phrase patterns plus the classifiers trained on the project's labelled messages.

    `keep` trains the risk classifiers on part of the labelled risk messages only, so the rest
    can measure them (benchmarks/safety_holdout.py). Without it, a process whose training
    files are unchanged loads the fitted weights without reading those files.
    """
    from coach.datafiles import read_jsonl
    from coach.retrieval import ENCODER_ID, VectorCache
    from coach.safety import (
        Classifiers,
        CrisisTraining,
        LanguageGuesser,
        RequestTraining,
        SafetyRules,
        SafetyTriage,
        load_training,
    )
    from coach.text import Examples, LinearClassifier, PatternStore

    @cache_result
    def data() -> tuple[CrisisTraining, RequestTraining, list[str]]:
        crisis, requests = load_training(
            settings.crisis_training_path, settings.request_training_path
        )
        if keep is not None:
            crisis = crisis.model_copy(
                update={
                    level: [t for t in getattr(crisis, level) if keep(t)]
                    for level in ("acute", "concern", "none")
                }
            )
        # Ordinary things sellers say are the best negatives the classifiers can get: the
        # principles' signals and the labelled seller messages (short answers, plans, feelings).
        seller = [
            str(row["text"])
            for row in read_jsonl(
                settings.understanding_training_path, "Understanding training file"
            )
        ]
        signals = [s for p in stack.principles.principles for s in p.signals] + seller
        return crisis, requests, signals

    cache = VectorCache(settings.cache_dir)
    # Fitted on part of the data (`keep`), the weights are never those of the whole.
    inputs = None if keep is not None else inputs or _training_inputs(settings, stack)

    def train(
        name: str,
        examples: Callable[[], Examples],
        c: float = 2.0,
        features: str = "words",
        vectors: bool = True,
    ) -> LinearClassifier:
        encode = stack.encoder.encode if vectors else None
        return LinearClassifier.trained(
            name, examples, encode, cache, ENCODER_ID, c=c, features=features, inputs=inputs
        )

    def risk() -> Examples:
        crisis, requests, signals = data()
        # Requests of every kind are not risk either: "how to be a millionaire" and "tell me
        # how to steal a car" are not method seeking.
        none = crisis.none + signals + requests.off_topic + requests.injection
        return {
            "none": none + requests.manipulation,
            "concern": crisis.concern,
            "acute": crisis.acute,
        }

    def check_in() -> Examples:
        crisis = data()[0]
        return {"not_no": crisis.check_in_not_no, "no": crisis.check_in_no}

    def risk_other_language() -> Examples:
        crisis, _, signals = data()
        return {"none": crisis.none + signals, "concern": crisis.concern, "acute": crisis.acute}

    def requests() -> Examples:
        _, asked, signals = data()
        return {
            "on_topic": asked.on_topic + signals,
            "off_topic": asked.off_topic,
            "injection": asked.injection,
            "manipulation": asked.manipulation,
        }

    classifiers = Classifiers(
        # Character n-grams and a looser fit: on held-out risk messages, recall 0.72 -> 0.81
        # at the same bar, false alarms 3.0% -> 3.6% (benchmarks/safety_holdout.py).
        risk=train("risk-classifier", risk, c=8.0, features="chars"),
        check_in=train("check-in-classifier", check_in),
        # No sentence vectors for other languages (MiniLM reads them as noise): character
        # n-grams of the same labelled messages, every language together.
        risk_other_language=train(
            "risk-other-language-classifier",
            risk_other_language,
            c=OTHER_LANGUAGE_C,
            features="chars",
            vectors=False,
        ),
        requests=train("request-classifier", requests),
    )
    return SafetyTriage(
        SafetyRules.load(settings.safety_path, PatternStore(settings.cache_dir, "safety")),
        stack.encoder,
        classifiers,
        LanguageGuesser.load(settings.languages_path),
    )


def build_retrieval(
    settings: Settings, *, reset: bool = False, fast: bool = False, defer: bool = False
) -> RetrievalStack:
    """Load principles, the encoder and the Chroma index (built or refreshed as needed).

    When the embedded index has a current snapshot, `fast` (short-lived CLI processes)
    searches that and never imports chromadb, and `defer` (the app) opens Chroma on a
    background thread once asked (`DeferredChunkSearch.start`), so a first page never waits for
    it. Server mode always talks to the server.
    """
    from coach.retrieval import ChromaChunkSearch, export_snapshot, snapshot_path

    principles = load_principles(settings.principles_path)
    graphs = settings.cache_dir if settings.encoder_engine == "onnx" else None
    encoder = MiniLMEncoder(settings.embedding_model_dir, graph_dir=graphs)
    snap = snapshot_path(settings.data_dir, principles.sha256)
    search = None if settings.chroma_host else _verified_snapshot(snap, encoder)
    if (fast or defer) and not reset and search is not None:
        message = "Index snapshot is current."
        chunks: ChunkSearch = search
        if defer:
            from coach.retrieval import DeferredChunkSearch

            def chroma() -> ChromaChunkSearch:
                from coach.retrieval import open_index  # imports chromadb: on the thread

                status = open_index(settings, principles, encoder)
                return ChromaChunkSearch(status.collection, encoder)

            chunks = DeferredChunkSearch(chroma, search)
            message = "Index snapshot is current; Chroma opens in the background."
        retriever = PrincipleRetriever(chunks, principles, settings.relevance_threshold)
        return RetrievalStack(principles, encoder, retriever, message, False)

    from coach.retrieval import open_index

    status = open_index(settings, principles, encoder, reset=reset)
    if not settings.chroma_host and (status.rebuilt or search is None):
        export_snapshot(status.collection, snap)
        if not status.rebuilt and snap.is_file():
            status.message += " The index snapshot was missing or damaged and was rewritten."
    retriever = PrincipleRetriever(
        ChromaChunkSearch(status.collection, encoder), principles, settings.relevance_threshold
    )
    return RetrievalStack(principles, encoder, retriever, status.message, status.rebuilt)


def _verified_snapshot(path: Path, encoder: MiniLMEncoder) -> SnapshotChunkSearch | None:
    """The snapshot's search when the file is there and whole, else None (rewrite it)."""
    from coach.retrieval import SnapshotChunkSearch

    if not path.is_file():
        return None
    try:
        return SnapshotChunkSearch(path, encoder)
    except Exception:  # truncated (BadZipFile, EOFError), reshaped, altered: all mean rewrite
        return None
