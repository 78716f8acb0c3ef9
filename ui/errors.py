"""Refusals as sentences: a DigitLabError that reaches the edge of a page (or of a fragment, which
reruns on its own) is shown as its message, never as a traceback with the server's paths. Anything
else is a bug, and the served configuration (client.showErrorDetails) keeps its details from the
page too."""

from __future__ import annotations

import functools

import streamlit as st

from nn.errors import DigitLabError
from ui import markdown, wording


def shown_as_sentences(draw):
    """`draw`, with the refusals it raises shown on the page as what they say."""
    @functools.wraps(draw)
    def drawing(*args, **kwargs):
        try:
            return draw(*args, **kwargs)
        except DigitLabError as e:
            st.error(markdown.text(sentence(e)), icon=":material/block:")
    return drawing


def reason(error: Exception) -> str:
    """What `error` says, in the session's language when it was raised with a phrase
    (nn.errors.DigitLabError); else as it was written."""
    phrase = getattr(error, "phrase", None)
    return wording.say(phrase) if phrase is not None else str(error)


def sentence(error: Exception) -> str:
    """'you already have 3 runs...' -> 'You already have 3 runs....' as a message box says it."""
    text = reason(error).strip() or type(error).__name__
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
