"""The training recipes against their targets, trained exactly as a user would: `python -m nn train
--json` (a run in a throw-away store), training time as the run reports it.

    .venv/bin/python -m bench.recipes table    # each target's recipe, over its seeds (~15 min)
    .venv/bin/python -m bench.recipes curves   # time-to-99.0% and -99.5% of cnn-fast and cnn-best (~8 min)
    .venv/bin/python -m bench.recipes first    # the suggested model alone, over five seeds (~2 min)

A curve trains a recipe for each of several epoch counts (its schedule spans the epochs chosen),
so every point is a complete training a user could start, not an epoch in the middle of one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from statistics import median

# cnn-fast past one epoch: augmented, a gentler peak, every image for training.
FAST_LONGER = ("--augment", "--learning-rate", "0.005", "--validation-split", "0")


@dataclass(frozen=True)
class Recipe:
    label: str
    preset: str
    args: tuple[str, ...] = ()
    dataset: str = "mnist"
    seeds: tuple[int, ...] = (1,)
    target: str = ""


TABLE = (
    Recipe("cnn-fast, 1 epoch", "cnn-fast", seeds=(0, 1, 2), target="≥ 99.0% in ≤ 10 s"),
    Recipe("cnn-fast, 8 epochs, augmented", "cnn-fast", ("--epochs", "8", *FAST_LONGER), seeds=(0, 1, 2),
           target="≥ 99.5% in ≤ 90 s"),
    Recipe("cnn-best, its 10 epochs, all 60k images", "cnn-best", ("--validation-split", "0"),
           seeds=(0, 1, 2), target="≥ 99.70% in ≤ 15 min"),
    Recipe("cnn-best, 1 epoch", "cnn-best", ("--epochs", "1"), target="≥ 98.5%"),
    Recipe("cnn-best, 3 epochs", "cnn-best", ("--epochs", "3"), target="≥ 99.3%"),
    Recipe("cnn-wide, 1 epoch, Fashion-MNIST", "cnn-wide", ("--epochs", "1"), "fashion-mnist",
           target="≥ 85%"),
)

def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _span(seconds: list[float]) -> str:
    if len(seconds) == 1:
        return f"{min(seconds):.1f} s"
    middle = f", median {median(seconds):.1f} s" if len(seconds) > 2 else ""
    return f"{min(seconds):.1f}–{max(seconds):.1f} s{middle}"


CURVES = {
    "cnn-fast": [Recipe(_epochs(n), "cnn-fast", ("--epochs", str(n), *(FAST_LONGER if n > 1 else ())))
                 for n in (1, 2, 4, 8)],
    "cnn-best": [Recipe(_epochs(n), "cnn-best", ("--epochs", str(n), "--validation-split", "0"))
                 for n in (1, 3, 5, 10)],
}


def train(recipe: Recipe, seed: int) -> dict:
    """One `python -m nn train --json` in a store of its own; its JSON line."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DIGITLAB_MODELS_DIR": f"{tmp}/models", "DIGITLAB_RUNS_DIR": f"{tmp}/runs"}
        out = subprocess.run(
            [sys.executable, "-m", "nn", "train", "--preset", recipe.preset, "--dataset", recipe.dataset,
             "--seed", str(seed), "--json", *recipe.args],
            env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# The Train page's first suggestion, as a newcomer starts it: the figure the docs quote.
FIRST = Recipe("cnn-fast, 1 epoch", "cnn-fast", seeds=(0, 1, 2, 3, 4), target="≥ 99.0% in ≤ 10 s")


def table_rows(recipes: tuple[Recipe, ...] = TABLE) -> list[dict]:
    rows = []
    for recipe in recipes:
        results = [train(recipe, seed) for seed in recipe.seeds]
        seconds = [r["seconds"] for r in results]
        command = " ".join(("--preset", recipe.preset, *recipe.args))
        rows.append({
            "recipe": recipe.label, "command": f"`{command}`",
            "seeds": ", ".join(map(str, recipe.seeds)),
            "training time": _span(seconds),
            "test accuracy": ", ".join(f"{r['test_accuracy']:.2%}" for r in results),
            "target": recipe.target,
        })
    return rows


def time_to(points: list[tuple[float, float]], accuracy: float) -> str:
    reached = [seconds for seconds, acc in points if acc >= accuracy]
    return f"{min(reached):.0f} s" if reached else "not reached"


def curve_rows() -> list[dict]:
    rows = []
    for preset, recipes in CURVES.items():
        points = []
        for recipe in recipes:
            result = train(recipe, seed=1)
            points.append((result["seconds"], result["test_accuracy"]))
            rows.append({"preset": preset, "training": recipe.label,
                         "training time": f"{result['seconds']:.1f} s",
                         "test accuracy": f"{result['test_accuracy']:.2%}",
                         "time to 99.0%": "", "time to 99.5%": ""})
        rows[-1].update({"time to 99.0%": time_to(points, 0.99), "time to 99.5%": time_to(points, 0.995)})
    return rows


def main(argv: list[str] | None = None) -> int:
    from bench.tables import table

    which = (sys.argv[1:] if argv is None else argv) or ["table"]
    for name in which:
        rows = {"table": table_rows, "curves": curve_rows, "first": lambda: table_rows((FIRST,))}[name]()
        print(table(rows), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
