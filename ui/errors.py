"""Refusals as sentences: a DigitLabError that reaches the edge of a page (or of a fragment, which
reruns on its own) is shown as its message, never as a traceback with the server's paths. Anything
else is a bug, and the served configuration (client.showErrorDetails) keeps its details from the
page too."""

from __future__ import annotations

import functools

import streamlit as st

from nn.errors import DigitLabError
from ui import markdown


def shown_as_sentences(draw):
    """`draw`, with the refusals it raises shown on the page as what they say."""
    @functools.wraps(draw)
    def drawing(*args, **kwargs):
        try:
            return draw(*args, **kwargs)
        except DigitLabError as e:
            st.error(markdown.text(sentence(e)), icon=":material/block:")
    return drawing


def sentence(error: Exception) -> str:
    """'you already have 3 runs...' -> 'You already have 3 runs....' as a message box says it."""
    text = str(error).strip() or type(error).__name__
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
