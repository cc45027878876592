"""Pivot Coach in the browser. Thin: it renders and dispatches; what it shows comes from coach/."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from coach.errors import CoachError
from coach.incidents import record, sentence
from views.services import warm_up

# A local icon: a ":material/..." favicon makes the browser fetch it from fonts.gstatic.com, and
# nothing here should leave the machine.
FAVICON = str(Path(__file__).resolve().parent / "views" / "assets" / "favicon.png")
st.set_page_config(page_title="Pivot Coach", page_icon=FAVICON, layout="centered")

page = st.navigation(
    [
        st.Page("views/pages/reflect.py", title="Reflect", icon=":material/forum:", default=True),
        st.Page("views/pages/challenge.py", title="Challenge", icon=":material/campaign:"),
        st.Page("views/pages/review.py", title="Review", icon=":material/rate_review:"),
    ]
)
try:
    page.run()
    warm_up()  # after the page is drawn: the services are built by then
except CoachError as exc:  # a problem the user can act on: its own sentence
    st.error(str(exc))
except Exception as exc:  # the one boundary: a sentence on screen, the traceback in the log
    # (st.rerun and st.stop raise BaseExceptions, which pass through.)
    st.error(sentence(record(exc), "This page hit an unexpected error"))
