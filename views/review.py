"""Review: coaches review reflection transcripts against the principles."""

from __future__ import annotations

import streamlit as st

from views import sidebar
from views.services import load


def render() -> None:
    svc = load()
    sidebar.render(svc)
    st.title("Review")
    st.caption(
        "For coaches: load a session or a transcript to see, turn by turn, which principles came "
        "up, blame and ownership language, and the quality of the coach's questions."
    )
