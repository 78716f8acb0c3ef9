"""Phrases: words for people whose values stay apart, so that the command line prints them in
English and the app translates them (ui.wording): pybabel extracts the calls of `said`,
`counted` and `term` for the catalogs (docs/translating.md). Nothing here imports the rest of nn:
its errors carry phrases too (nn.errors)."""

from __future__ import annotations

from typing import NamedTuple


class Phrase(NamedTuple):
    """Words for people whose values stay apart: `text` (with `plural`, for a count of `n`) is the
    id the app's catalogs translate (pybabel extracts the calls of `said` and `counted`); str()
    is the English, numbers written as the CLI writes them."""

    text: str
    values: dict
    plural: str | None = None
    n: int | None = None

    def __str__(self) -> str:
        template = self.text if self.plural is None or self.n == 1 else self.plural
        return template.format(**{k: _english(v) for k, v in self.values.items()})


def _english(value):
    if isinstance(value, Phrase):  # a phrase within a phrase: said("{what} is empty", what=said(...))
        return str(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def term(text: str) -> str:
    """`text` as it is, marked as words the app translates where it shows them (a kind's title,
    a data set's class names): pybabel extracts it for the catalogs."""
    return text


def said(text: str, **values) -> Phrase:
    """A phrase: said("fine-tuned {model}", model=name)."""
    return Phrase(text, values)


def counted(singular: str, plural: str, n: int, **values) -> Phrase:
    """A phrase about a count `n` (the value `n`): counted("{n} tree", "{n} trees", 30)."""
    return Phrase(singular, {"n": n, **values}, plural, n)
