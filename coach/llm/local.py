"""A GGUF model run in-process by llama-cpp-python, as a LangChain chat model (streaming too).

Only imported by the `local` tier; llama-cpp-python is the optional extra `local`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from llama_cpp import Llama
from pydantic import ConfigDict, PrivateAttr

from coach.llm.messages import as_dicts


class LlamaCppChatModel(BaseChatModel):
    """llama.cpp's chat completion, with the chat template stored in the GGUF file."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    temperature: float = 0.3
    max_tokens: int = 160
    _llm: Any = PrivateAttr(default=None)
    # One llama.cpp context is not safe to use from two threads (two browser sessions) at once.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def load(
        cls, path: Path, *, n_ctx: int = 2048, temperature: float = 0.3, max_tokens: int = 160
    ) -> LlamaCppChatModel:
        model = cls(model_path=str(path), temperature=temperature, max_tokens=max_tokens)
        model._llm = Llama(model_path=str(path), n_ctx=n_ctx, verbose=False)
        return model

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _params(self, stop: list[str] | None) -> dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "stop": stop}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._lock:
            out = self._llm.create_chat_completion(
                messages=as_dicts(messages), **self._params(stop)
            )
        text = out["choices"][0]["message"].get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._lock:
            for part in self._llm.create_chat_completion(
                messages=as_dicts(messages), stream=True, **self._params(stop)
            ):
                delta = part["choices"][0].get("delta", {}).get("content") or ""
                if delta:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager is not None:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk
