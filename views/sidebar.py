"""The sidebar every page shares: who is answering, where data lives, where to get help."""

from __future__ import annotations

import streamlit as st

from views.services import Services

HELP_LINE = (
    "**If you are struggling or thinking about harming yourself:** in the US call or text "
    "**988**; elsewhere call your local emergency number or find a line at findahelpline.com."
)


def render(svc: Services) -> None:
    chat = svc.parts.chat
    with st.sidebar:
        st.subheader("Coach")
        st.write(chat.label)
        if chat.model is None:
            with st.expander("Connect a language model"):
                st.markdown(
                    "The scripted coach quotes your words and asks curated questions. To let a "
                    "model write the questions, restart with one of:\n\n"
                    "- `COACH_OPENAI_API_KEY=sk-...` (OpenAI)\n"
                    "- `COACH_OPENAI_BASE_URL=http://127.0.0.1:11434/v1` and "
                    "`COACH_OPENAI_MODEL=llama3.1` (Ollama or any OpenAI-compatible server)\n"
                    "- `COACH_LOCAL_MODEL_PATH=/path/model.gguf` after `make install-local`"
                )
        st.caption(
            f"Privacy: transcripts are stored at `{svc.store.location}`. "
            + (
                f"Your messages are sent to {chat.model_name} to write replies."
                if chat.remote
                else "Nothing leaves this machine."
            )
        )
        st.info(HELP_LINE)
