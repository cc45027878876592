"""An OpenAI-compatible chat model (OpenAI, Ollama, vLLM, llama.cpp's server) on the `openai`
SDK, speaking LangChain's messages.

Why not `langchain_openai.ChatOpenAI`, or LangChain's `BaseChatModel` under this one: the coach
uses one call of a chat model (a chat completion, streamed or not, with a timeout per
request), and importing either cost more than that call is worth. Measured in CPU time on this
project's 2-core machine: `langchain_openai` 1.40 s, the `openai` SDK under `BaseChatModel`
1.28 s (the base class loads LangChain's tracers and LangSmith), the SDK and LangChain's
messages 0.74 s. This class has the two methods of a LangChain chat model the coach calls,
`invoke` and `stream`, with the same arguments and results (`coach.llm.tiers.ChatModel`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from openai import OpenAI
from pydantic import SecretStr

from coach.llm.messages import as_dicts


class OpenAIChatModel:
    """Chat completions from an OpenAI-compatible server. `timeout=` on `invoke` or `stream`
    bounds that one request. The key lives in the SDK's client only, never in an attribute
    that is printed with the model."""

    def __init__(
        self,
        client: Any,
        *,
        model: str,
        temperature: float = 0.3,
        max_completion_tokens: int | None = None,
        request_timeout: float = 30.0,
    ) -> None:
        self._client = client
        self.model = model
        self.temperature = temperature
        self.max_completion_tokens = max_completion_tokens
        self.request_timeout = request_timeout  # seconds, for a request that is given none

    @classmethod
    def connect(
        cls,
        *,
        model: str,
        api_key: SecretStr,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 0,
        temperature: float = 0.3,
        max_completion_tokens: int | None = None,
    ) -> OpenAIChatModel:
        client = OpenAI(
            api_key=api_key.get_secret_value(),
            base_url=base_url or None,
            timeout=timeout,
            max_retries=max_retries,
        )
        return cls(
            client,
            model=model,
            temperature=temperature,
            max_completion_tokens=max_completion_tokens,
            request_timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, temperature={self.temperature})"

    def _request(
        self, messages: str | list[BaseMessage], stop: list[str] | None, timeout: float | None
    ) -> dict[str, Any]:
        chat: list[BaseMessage] = (
            [HumanMessage(messages)] if isinstance(messages, str) else messages
        )
        request: dict[str, Any] = {
            "model": self.model,
            "messages": as_dicts(chat),
            "temperature": self.temperature,
        }
        if self.max_completion_tokens is not None:
            request["max_completion_tokens"] = self.max_completion_tokens
        if stop:
            request["stop"] = stop
        if timeout is not None:
            request["timeout"] = timeout
        return request

    def invoke(
        self,
        messages: str | list[BaseMessage],
        *,
        stop: list[str] | None = None,
        timeout: float | None = None,
    ) -> AIMessage:
        response = self._client.chat.completions.create(**self._request(messages, stop, timeout))
        return AIMessage(content=response.choices[0].message.content or "")

    def stream(
        self,
        messages: str | list[BaseMessage],
        *,
        stop: list[str] | None = None,
        timeout: float | None = None,
    ) -> Iterator[AIMessageChunk]:
        # `with`: a caller that stops reading (a reply that rambles on) closes the connection.
        with self._client.chat.completions.create(
            stream=True, **self._request(messages, stop, timeout)
        ) as events:
            for event in events:
                delta = (event.choices[0].delta.content or "") if event.choices else ""
                if delta:
                    yield AIMessageChunk(content=delta)
