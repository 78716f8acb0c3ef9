"""Markdown tables of benchmark figures, as bench/RESULTS.md shows them."""

from __future__ import annotations


def table(rows: list[dict]) -> str:
    if not rows:
        return "(none)\n"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def pairs(values: dict) -> str:
    return table([{"measure": k, "value": v} for k, v in values.items()])


def flat(values: dict) -> dict:
    """Nested figures ({"answers": {"median": ..}}) as one level ("answers, median")."""
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update({f"{key}: {k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out
