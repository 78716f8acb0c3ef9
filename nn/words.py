"""How counts, shares, times and moments read: one way across the pages and the CLI's text
(its --json output keeps plain numbers); and phrases (nn.phrases), words for people with their
values apart, which the command line prints in English and the app translates (ui.wording)."""

from __future__ import annotations

import re
from datetime import datetime

from nn.phrases import Phrase, counted, said, term
from nn.progress import format_duration as duration

__all__ = ["Phrase", "accuracy", "confidence", "count", "counted", "duration", "full_stop", "local_time",
           "moment", "said", "shape", "slug", "term"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 epoch', '8 epochs', '1,228,800 parameters'."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def accuracy(share: float) -> str:
    """An accuracy, always to two decimals: '99.12%' (at 99% the second decimal is what differs)."""
    return f"{share:.2%}"


def confidence(share: float) -> str:
    """How sure a network is of one answer, whole percent: '87%'."""
    return f"{share:.0%}"


def moment(when: str | float | None, missing: str = "–") -> str:
    """A moment in local time as the pages show it, '02 Dec 04:38': from an ISO text (a model's
    'created') or a timestamp (a run's)."""
    at = local_time(when)
    return missing if at is None else at.strftime("%d %b %H:%M")


def local_time(when: str | float | None) -> datetime | None:
    """An ISO text or a timestamp as a local time; None for none or a broken one."""
    if when is None or when == "":
        return None
    try:
        at = datetime.fromisoformat(when) if isinstance(when, str) else datetime.fromtimestamp(when)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return at.astimezone() if at.tzinfo else at


def full_stop(text: str) -> str:
    """The full stop a sentence ending in `text` needs: none after 'Ada L.' (no 'Ada L..')."""
    return "" if text.rstrip().endswith((".", "!", "?", "…")) else "."


def shape(dims) -> str:
    """One image's shape through a layer, '28×28×1' or '10' (not Keras' '(None, 28, 28, 1)',
    whose None is the batch)."""
    return "×".join(str(int(d)) for d in dims)


def slug(text: str, fallback: str = "model") -> str:
    """`text` as a name in file names and addresses: lower-case ASCII letters, digits and dashes,
    at most 40 (`fallback` when nothing is left, as of "ž")."""
    made = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40].strip("-")
    return made or fallback
