"""Digits MNIST never showed: does a model read other people's digits as well as MNIST's own?

    .venv/bin/python -m bench.robustness                  # every bundled MNIST model
    .venv/bin/python -m bench.robustness FILE.keras ...   # these model files

Two sets, both through the app's own preprocessing (nn.preprocess.to_mnist), as a picture given
to the Draw page or to `python -m nn predict` would be:
- scanned: scikit-learn's copy of the UCI optical digits, 1,797 digits by 43 writers who are not
  in MNIST, scanned and reduced to 8x8 pixels of 17 grey levels (many 1s have a flag and a
  foot, many 9s a straight stem);
- drawn: the 160 pen-stroke digits drawn on the Draw page's canvas (harness.drawn_digits), in two
  styles; the second has flagged 1s, crossed 7s and 9s with a straight stem.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np


def scanned_digits() -> tuple[np.ndarray, np.ndarray]:
    """(1797, 28, 28) float32 images normalised like MNIST, and their labels."""
    from sklearn.datasets import load_digits

    from nn.preprocess import to_mnist

    digits = load_digits()  # bundled with scikit-learn: no download
    paper_and_ink = 255 - (digits.images / 16.0 * 255).astype(np.uint8)  # dark ink on white, as scanned
    return np.stack([to_mnist(image) for image in paper_and_ink]), digits.target


def drawn_digits() -> tuple[np.ndarray, np.ndarray]:
    from harness import drawn_digits as drawn

    x, labels, _ = drawn.normalised()
    return x, labels


def misreadings(truth: np.ndarray, predicted: np.ndarray, top: int = 4) -> str:
    wrong = Counter(zip(truth[truth != predicted].tolist(), predicted[truth != predicted].tolist()))
    return ", ".join(f"{t}→{p} ×{n}" for (t, p), n in wrong.most_common(top)) or "none"


def measure(paths: list[Path] | None = None) -> list[dict]:
    from nn.inference import make_predictor
    from nn.kinds.registry import load_model_file
    from nn.storage.saved_models import ModelStore

    if not paths:
        paths = [info.path for info in ModelStore().list() if info.bundled and info.dataset == "mnist"]
    sets = {"scanned 8x8 (1,797)": scanned_digits(), "drawn (160)": drawn_digits()}
    rows = []
    for path in paths:
        predictor = make_predictor(load_model_file(path))
        row = {"model": Path(path).stem}
        for name, (x, y) in sets.items():
            predicted = predictor.probabilities(x).argmax(axis=1)
            row[name] = f"{(predicted == y).mean():.2%}"
            row[f"{name.split()[0]}: most misread"] = misreadings(y, predicted)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    from bench.tables import table

    print(table(measure([Path(a) for a in (sys.argv[1:] if argv is None else argv)])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
