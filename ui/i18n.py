"""The words a person reads, in their session's language: gettext catalogs kept with Babel
(locale/<language>/LC_MESSAGES/digitlab.po, compiled to .mo by scripts/setup.sh; see
docs/translating.md).

The language belongs to the session, never to the process: nothing is installed globally, each
call looks up the session's catalog, so two people in two languages on one server each read
their own. It comes from `?lang=` in the address, else the session's choice, else the browser's
language (st.context.locale), else English.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

import streamlit as st

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "digitlab"
LANGUAGES = {"en": "English", "lt": "Lietuvių"}  # the code, and the language's name in itself
DEFAULT = "en"
KEY = "language"  # the session's language, in its state
CHOICE_KEY = "language_choice"  # the sidebar's control


@functools.cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language` (English: the words as written)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def from_locale(locale: str | None) -> str:
    """The language of a browser's locale ("lt-LT" -> "lt"), if the app has it."""
    tag = (locale or "").replace("_", "-").split("-")[0].lower()
    return tag if tag in LANGUAGES else DEFAULT


def language() -> str:
    """The session's language, as the address, the session's choice or the browser asks."""
    asked = st.query_params.get("lang")
    if asked in LANGUAGES:
        st.session_state[KEY] = asked
    elif st.session_state.get(KEY) not in LANGUAGES:
        st.session_state[KEY] = from_locale(st.context.locale)
    return st.session_state[KEY]


def _(text: str) -> str:
    """`text` in the session's language."""
    return catalog(language()).gettext(text)


def n_(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the session's language (Lithuanian has three: 1 epocha, 2 epochos,
    10 epochų)."""
    return catalog(language()).ngettext(singular, plural, n)


def address_params() -> dict[str, str]:
    """What the links the app makes carry of the language: `lang` unless it is English by default."""
    current = language()
    return {"lang": current} if current != DEFAULT or "lang" in st.query_params else {}


def _chosen() -> None:
    chosen = st.session_state.get(CHOICE_KEY)
    if chosen in LANGUAGES:
        st.session_state[KEY] = chosen
        st.query_params["lang"] = chosen  # before the run: the address and the words agree


def sidebar_language_choice() -> None:
    """The sidebar's choice of language; it goes into the address, so a copied link keeps it."""
    current = language()
    st.session_state[CHOICE_KEY] = current  # as the address or the browser chose it
    st.sidebar.segmented_control(_("Language"), list(LANGUAGES), format_func=LANGUAGES.get, key=CHOICE_KEY,
                                 on_change=_chosen)
    for name, value in address_params().items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value
