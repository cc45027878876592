"""Pivot Coach in the browser. Thin: it renders and dispatches; what it shows comes from coach/."""

from __future__ import annotations

import streamlit as st

from views import challenge, reflect, review

st.set_page_config(page_title="Pivot Coach", page_icon=":material/explore:", layout="centered")

page = st.navigation(
    [
        st.Page(
            reflect.render,
            title="Reflect",
            icon=":material/forum:",
            url_path="reflect",
            default=True,
        ),
        st.Page(
            challenge.render, title="Challenge", icon=":material/campaign:", url_path="challenge"
        ),
        st.Page(review.render, title="Review", icon=":material/rate_review:", url_path="review"),
    ]
)
page.run()
