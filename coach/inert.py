"""Text from people and models, made inert for where it is shown: a terminal never receives
an escape sequence from a stored message, and a Markdown report never carries a live link,
image, heading or HTML tag that a seller (or a model) typed."""

from __future__ import annotations

import re

# CSI (colours, cursor moves), OSC (titles, hyperlinks) and any other ESC sequence, then every
# remaining control character but tab and newline.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What can make a link, an image, emphasis, a heading, code or an HTML tag; a stray "." or "-"
# can at most start a list inside the quote that holds the text, so they stay readable.
_MARKDOWN = re.compile(r"([\\`*_\[\]()#!|>~<$])")
# On a Streamlit page the text is not held in a report's quote: "1." or "-" at the start of a
# line would make a list there, so those are escaped too, with "+" and braces.
_PAGE_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$])")


def for_terminal(text: str) -> str:
    """The text with escape sequences and control characters removed."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def markdown_for_page(text: str) -> str:
    """The text with every Markdown character escaped, for `st.markdown` and widget labels."""
    return _PAGE_MARKDOWN.sub(r"\\\1", text)


def for_markdown(text: str) -> str:
    """The text with Markdown and HTML characters escaped, so a report shows it as written."""
    return _MARKDOWN.sub(r"\\\1", for_terminal(text))
