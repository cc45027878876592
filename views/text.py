"""Showing user and model text as text: never HTML, never Markdown they did not mean."""

from __future__ import annotations

from coach.inert import markdown_for_page
from coach.text import one_line


def plain(text: str) -> str:
    """Escape Markdown so st.markdown shows the words exactly (links, images and headings in
    a seller's or a model's text stay inert). Streamlit never renders raw HTML here either."""
    return markdown_for_page(text).replace("\n", "  \n")


def label(text: str, limit: int = 80) -> str:
    """A person's words as a button, expander or tab label: one line, cut at `limit`, inert
    (a first message of "![x](http://host/p.png)" once became an image in the sidebar)."""
    flat = one_line(text)
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return markdown_for_page(flat)
