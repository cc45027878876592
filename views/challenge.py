"""Challenge: managers draft the Pivot to Leadership challenge for their team."""

from __future__ import annotations

import streamlit as st

from views import sidebar
from views.services import load


def render() -> None:
    svc = load()
    sidebar.render(svc)
    st.title("Challenge")
    st.caption(
        "For managers: draft a message that issues the Pivot to Leadership challenge to your "
        "team, grounded in the principles that fit your team's situation."
    )
