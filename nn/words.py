"""How counts, shares, times and moments read: one way across the pages and the CLI's text
(its --json output keeps plain numbers)."""

from __future__ import annotations

import re
from datetime import datetime

from nn.progress import format_duration as duration

__all__ = ["accuracy", "confidence", "count", "duration", "full_stop", "moment", "shape", "slug"]


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
    if when is None or when == "":
        return missing
    try:
        at = datetime.fromisoformat(when) if isinstance(when, str) else datetime.fromtimestamp(when)
    except (TypeError, ValueError, OverflowError, OSError):
        return missing
    return (at.astimezone() if at.tzinfo else at).strftime("%d %b %H:%M")


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
