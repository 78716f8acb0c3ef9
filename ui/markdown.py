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


def text(value) -> str:
    """`value` as Markdown that shows exactly `value`: every ASCII punctuation mark backslash-escaped
    (CommonMark allows it for each of them), so no link, emphasis, directive or formula forms."""
    return _PUNCTUATION.sub(r"\\\1", str(value))
