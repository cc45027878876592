"""Chat-model tiers behind one factory: `build_chat_model(settings)`.

- `openai`: OpenAI, or any OpenAI-compatible server through a base URL (Ollama, vLLM, LM Studio,
  llama.cpp's server).
- `local`: a GGUF file run in-process by llama-cpp-python (the optional `local` extra).
- `scripted`: no model; the dialogue composes the turn from retrieval and curated questions.
- `auto`: openai when a key or base URL is set, else local when a model path is set, else scripted.

Heavy imports happen inside the branch that needs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from coach.errors import CoachError
from coach.settings import Settings


class Tier(StrEnum):
    OPENAI = "openai"
    LOCAL = "local"
    SCRIPTED = "scripted"


class ModelUnavailable(CoachError, RuntimeError):
    """The configured tier cannot be built; the message says what to do."""


class ChatModel(Protocol):
    """What the coach calls on a chat model: LangChain's `invoke` and `stream`, on a list of
    LangChain messages (or one prompt), with a timeout per request where the model takes one.
    Every LangChain chat model has them (the local tier is one); the openai tier has just
    these (coach/llm/openai_chat.py, for its start-up)."""

    def invoke(self, messages: Any, /, *, timeout: float = ...) -> Any: ...

    def stream(self, messages: Any, /, *, timeout: float = ...) -> Iterator[Any]: ...


@dataclass(frozen=True)
class ChatModelChoice:
    tier: Tier
    model_name: str
    model: ChatModel | None  # None for the scripted tier
    remote: bool  # whether the seller's words leave this machine

    @property
    def label(self) -> str:
        if self.tier is Tier.SCRIPTED:
            return "Scripted coach (no language model)"
        where = "remote" if self.remote else "on this machine"
        return f"{self.tier.value}: {self.model_name} ({where})"


def resolve_tier(settings: Settings) -> Tier:
    """The tier `auto` stands for, or the one asked for."""
    if settings.tier != "auto":
        return Tier(settings.tier)
    if settings.openai_api_key is not None or settings.openai_base_url:
        return Tier.OPENAI
    if settings.local_model_path is not None:
        return Tier.LOCAL
    return Tier.SCRIPTED


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlparse

    host = (urlparse(url).hostname or "").lower()
    return host in {"localhost", "127.0.0.1", "::1"} or host.startswith("127.")


def build_chat_model(settings: Settings) -> ChatModelChoice:
    """Build the chat model for the configured tier (one `match`, lazy imports)."""
    tier = resolve_tier(settings)
    match tier:
        case Tier.SCRIPTED:
            return ChatModelChoice(Tier.SCRIPTED, "curated questions", None, remote=False)
        case Tier.OPENAI:
            if settings.openai_api_key is None and not settings.openai_base_url:
                raise ModelUnavailable(
                    "The openai tier needs COACH_OPENAI_API_KEY (or OPENAI_API_KEY) or "
                    "COACH_OPENAI_BASE_URL for an OpenAI-compatible server."
                )
            from pydantic import SecretStr

            from coach.llm.openai_chat import OpenAIChatModel

            # Local OpenAI-compatible servers (Ollama, llama.cpp) ignore the key but the client
            # insists on one.
            key = settings.openai_api_key or SecretStr("not-needed")
            model = OpenAIChatModel.connect(
                model=settings.openai_model,
                api_key=key,
                base_url=settings.openai_base_url,
                timeout=settings.openai_timeout_s,
                # The coach retries itself (coach/reflect/dialogue.py), within the seller's
                # budget: the SDK would try again after a timeout and wait out any Retry-After.
                max_retries=0,
                temperature=settings.temperature,
                max_completion_tokens=settings.max_reply_tokens,
            )
            remote = not (settings.openai_base_url and _is_loopback(settings.openai_base_url))
            return ChatModelChoice(Tier.OPENAI, settings.openai_model, model, remote=remote)
        case Tier.LOCAL:
            path = settings.local_model_path
            if path is None:
                raise ModelUnavailable("The local tier needs COACH_LOCAL_MODEL_PATH (a GGUF file).")
            if not path.is_file():
                raise ModelUnavailable(f"No GGUF model at {path}; check COACH_LOCAL_MODEL_PATH.")
            try:
                from coach.llm.local import LlamaCppChatModel
            except ImportError:
                raise ModelUnavailable(
                    "The local tier needs llama-cpp-python: run `make install-local` "
                    "(it builds from source, about 12 minutes on 2 cores)."
                ) from None
            local = LlamaCppChatModel.load(
                path,
                n_ctx=settings.local_context,
                temperature=settings.temperature,
                max_tokens=settings.max_reply_tokens,
            )
            return ChatModelChoice(Tier.LOCAL, path.name, local, remote=False)
