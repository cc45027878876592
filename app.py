"""Pivot Coach in the browser. Thin: it renders and dispatches; what it shows comes from coach/."""

from __future__ import annotations

import streamlit as st

from coach.settings import Settings
from coach.wiring import RetrievalStack, build_retrieval


@st.cache_resource(show_spinner="Loading the principles…")
def retrieval() -> RetrievalStack:
    # Built once per server process: encoder, principles and Chroma index are shared and
    # read-only, so every browser session can use the same objects.
    return build_retrieval(Settings())


st.set_page_config(page_title="Pivot Coach", page_icon="🧭")
st.title("Pivot Coach")
st.caption("Paste a reflection on your week; see which leadership principles it touches.")

try:
    stack = retrieval()
except Exception as exc:  # the one place a start-up failure becomes a sentence, not a trace
    st.error(f"The coach could not start: {exc}")
    st.stop()

text = st.text_area("Your reflection", key="reflection", height=160)
if st.button("Find the principles", type="primary"):
    if not text.strip():
        st.warning("Write a few words about your week first.")
    else:
        hits = stack.retriever.retrieve(text, k=3)
        if not stack.retriever.is_reflection(hits):
            st.info("This does not read like a reflection on your work; these matches are weak.")
        for hit in hits:
            with st.container(border=True):
                st.markdown(f"**{hit.title}**  \n`{hit.id}` · score {hit.score:.2f}")
                st.text(f"“{hit.quote}”")
