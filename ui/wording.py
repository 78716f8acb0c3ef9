"""How numbers, shares, moments and nn's phrases read in the session's language: nn writes them
in English for the command line (nn.words), this module for the pages, with Babel's number and
date formats (Lithuanian: 1 228 800, 97,69 %, 2 gruod. 04:38) and the session's catalog.
"""

from __future__ import annotations

import copy
import functools

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal

from nn.data import class_names as nn_class_names
from nn.words import Phrase, local_time
from ui.i18n import _, catalog, language

# Each function writes in the session's language, or in `lang` when given (as the tests ask).


def _locale(lang: str | None) -> Locale:
    return _parsed(lang or language())


@functools.cache
def _parsed(lang: str) -> Locale:  # a chart writes dozens of numbers: parse each language once
    return Locale.parse(lang)


def number(value: int | float, lang: str | None = None) -> str:
    """1,228,800 or 0.001 in English; 1 228 800 or 0,001 in Lithuanian."""
    return format_decimal(value, format="#,##0.########", locale=_locale(lang))


def percent(share: float, decimals: int = 2, lang: str | None = None) -> str:
    """A share as the language writes percentages: 97.69% or 97,69 %."""
    locale = _locale(lang)
    pattern = copy.copy(locale.percent_formats[None])
    pattern.frac_prec = (decimals, decimals)
    return pattern.apply(share, locale)


def accuracy(share: float, lang: str | None = None) -> str:
    """An accuracy, always to two decimals (as nn.words.accuracy)."""
    return percent(share, 2, lang)


def confidence(share: float, lang: str | None = None) -> str:
    """How sure a network is of one answer, whole percent (as nn.words.confidence)."""
    return percent(share, 0, lang)


def moment(when: str | float | None, missing: str = "–", lang: str | None = None) -> str:
    """A moment in local time, as nn.words.moment reads it, in the language's month names."""
    at = local_time(when)
    return missing if at is None else format_datetime(at, "dd MMM HH:mm", locale=_locale(lang))


def say(phrase: Phrase, lang: str | None = None) -> str:
    """One of nn's phrases in the language, its numbers written as the language writes them."""
    words = catalog(lang or language())
    if phrase.plural is None:
        template = words.gettext(phrase.text)
    else:
        template = words.ngettext(phrase.text, phrase.plural, phrase.n)
    return template.format(**{k: _value(v, lang) for k, v in phrase.values.items()})


def _value(value, lang: str | None):
    if isinstance(value, Phrase):
        return say(value, lang)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return number(value, lang)


def run_state(state: str) -> str:
    """A run's state (nn.runs.store.RunState), or what stopping it did, in the session's language."""
    return {"queued": _("queued"), "preparing": _("preparing"), "running": _("running"),
            "stopped": _("stopped"), "finished": _("finished"), "failed": _("failed"),
            "interrupted": _("interrupted"), "cancelled": _("cancelled"),
            "stopping": _("stopping")}.get(str(state), str(state))


def class_names(dataset: str, metadata: dict | None = None) -> tuple[str, ...]:
    """What a model answers (nn.data.class_names), a built-in data set's names translated; one's
    own set's are people's words, shown as they wrote them."""
    names = nn_class_names(dataset, metadata)
    return names if (metadata or {}).get("classes") else tuple(_(name) for name in names)


def stopper(who: str) -> str:
    """Who stopped a run, as nn.runs.store.RunStore.stop was told ("your teacher")."""
    return _("your teacher") if who == "your teacher" else who


def run_message(message: str) -> str:
    """What a preparing run's status says (nn.runs.worker writes it), in the session's language."""
    if message.startswith("loading "):
        return _("loading {data}").format(data=message.removeprefix("loading "))
    return {"preparing": _("preparing"), "training": _("training")}.get(message, _(message))
