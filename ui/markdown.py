"""People's own text (their names, their models' titles) shown as text, never as Markdown.

Streamlit reads Markdown in headings, messages, toasts, captions and tooltips, and GitHub's
Markdown makes `www.example.com` a link by itself: a name that passes every check at the door
could still put a link on other people's pages. Every place that shows such text in Markdown
passes it through `text` first.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile(f"([{re.escape(string.punctuation)}])")
# GitHub's autolinks (www., scheme:, name@host) are found in the text after escapes are undone: an
# invisible word joiner inside each of their marks breaks them, and nothing else changes on screen.
JOINER = "\u2060"
_AUTOLINK_MARKS = re.compile(r"(?i)(?<=www)(?=\\\.)|(?=\\[:@])")


def text(value) -> str:
    """`value` as Markdown that shows exactly `value`: every ASCII punctuation mark backslash-escaped
    (CommonMark allows it for each of them), so no emphasis, directive or formula forms, and a
    word joiner in every mark of an autolink, so no link does."""
    return _AUTOLINK_MARKS.sub(JOINER, _PUNCTUATION.sub(r"\\\1", str(value)))
