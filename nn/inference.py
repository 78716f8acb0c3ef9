"""Prediction from model files: one loaded predictor per file, kept for the next drawing.

Every kind's predictor is a `Predicting` (nn.kinds.kind) with `probabilities` and `saliency`,
made by its kind: `make_predictor(model)` for a model in memory, `predictor_for_file(path)` for
a model file (one kept per file).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from nn.kinds.kind import Predicting
from nn.kinds.registry import of_file, of_model

CACHED_MODELS = 8  # predictors kept in memory per process, the most recently used


_predictors: OrderedDict[tuple[str, int], Predicting] = OrderedDict()
_loading = threading.Lock()  # one load at a time: a second caller waits for the first one's model


def _key(path: Path) -> tuple[str, int]:
    return str(path), Path(path).stat().st_mtime_ns


def is_loaded(path: Path) -> bool:
    return _key(path) in _predictors


def predictor_for_file(path: Path) -> Predicting:
    """The predictor of a model file, loaded once per version of the file and kept (in this
    process: every session of the app shares it)."""
    key = _key(path)
    with _loading:
        if key not in _predictors:
            _predictors[key] = of_file(Path(path)).file_predictor(Path(path))
            while len(_predictors) > CACHED_MODELS:
                _predictors.popitem(last=False)
        _predictors.move_to_end(key)
        return _predictors[key]


def warm(path: Path) -> Predicting:
    """Load a model and call it once, so that the first real answer is as fast as the others."""
    predictor = predictor_for_file(path)
    predictor.predict_one(np.zeros((28, 28), dtype=np.float32))
    return predictor


def make_predictor(model) -> Predicting:
    """The predictor for a loaded model, whichever kind it is."""
    return of_model(model).predictor(model)
