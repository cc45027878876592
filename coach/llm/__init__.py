"""The model tiers (scripted, local GGUF, any OpenAI-compatible server) and their prompts.

Each public name loads with its module on first use (coach/lazy.py): the OpenAI SDK and
llama.cpp load only in a process that uses a model."""

from typing import TYPE_CHECKING

from coach.lazy import public

if TYPE_CHECKING:  # the public names; each loads with its module on first use
    from coach.llm.bundled import (
        small_gguf as small_gguf,
    )
    from coach.llm.citations import (
        citations_start as citations_start,
        split_citations as split_citations,
    )
    from coach.llm.openai_chat import (
        OpenAIChatModel as OpenAIChatModel,
    )
    from coach.llm.prompts import (
        PromptLibrary as PromptLibrary,
    )
    from coach.llm.tiers import (
        ChatModelChoice as ChatModelChoice,
        Tier as Tier,
        build_chat_model as build_chat_model,
    )

__all__, __getattr__ = public(__name__, __file__)
