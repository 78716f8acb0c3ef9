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
_guard = threading.Lock()  # over the two dicts, never held while a model loads
_loading: dict[tuple[str, int], threading.Lock] = {}  # one load per file: a second caller of the
# same file waits for the first one's model, while other people's models load alongside


def _key(path: Path) -> tuple[str, int]:
    return str(path), Path(path).stat().st_mtime_ns


def is_loaded(path: Path) -> bool:
    return _key(path) in _predictors


def predictor_for_file(path: Path) -> Predicting:
    """The predictor of a model file, loaded once per version of the file and kept (in this
    process: every session of the app shares it)."""
    key = _key(path)
    with _guard:
        if key in _predictors:
            _predictors.move_to_end(key)
            return _predictors[key]
        loading = _loading.setdefault(key, threading.Lock())
    with loading:
        with _guard:
            if key in _predictors:  # loaded by the caller we waited for
                return _predictors[key]
        predictor = of_file(Path(path)).file_predictor(Path(path))
        with _guard:
            _predictors[key] = predictor
            _loading.pop(key, None)
            while len(_predictors) > CACHED_MODELS:
                _predictors.popitem(last=False)
            return predictor


def warm(path: Path) -> Predicting:
    """Load a model and call it once, so that the first real answer is as fast as the others."""
    predictor = predictor_for_file(path)
    predictor.predict_one(np.zeros((28, 28), dtype=np.float32))
    return predictor


def make_predictor(model) -> Predicting:
    """The predictor for a loaded model, whichever kind it is."""
    return of_model(model).predictor(model)
