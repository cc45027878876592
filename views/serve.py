"""`make run`: the Streamlit app, with the coach built while the server starts.

Streamlit runs `app.py` only when a browser connects, so the first visitor used to wait for
the encoder, the Chroma index and the safety classifiers to load (about 1.3 s here) after the
page itself had loaded; from the server's start to the first page's message box took 4.5 s,
and 3.8 to 4.1 s with this (benchmarks/startup.py). This starts that work with the server
instead, on a thread that fills the same `st.cache_resource` the pages read
(views/services.py); a page that asks before it is done waits for it rather than building a
second one. A failure here is left for the page to show in its own sentence.

    .venv/bin/python -m views.serve [streamlit options]
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def _warm() -> None:
    from views.services import services

    # Outside a page Streamlit warns that there is no script context; that is expected here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )
    with contextlib.suppress(Exception):  # the first page calls services() again, says why
        services()


def main() -> None:
    threading.Thread(target=_warm, name="warm-coach", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    cli.main(prog_name="streamlit")  # exits with Streamlit's own status


if __name__ == "__main__":
    main()
