"""Pivot Coach in the browser. Thin: it renders and dispatches; what it shows comes from coach/."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Pivot Coach", page_icon=":material/explore:", layout="centered")

page = st.navigation(
    [
        st.Page("views/pages/reflect.py", title="Reflect", icon=":material/forum:", default=True),
        st.Page("views/pages/challenge.py", title="Challenge", icon=":material/campaign:"),
        st.Page("views/pages/review.py", title="Review", icon=":material/rate_review:"),
    ]
)
page.run()
