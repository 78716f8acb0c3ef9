"""Kinds of model: Keras networks, the NumPy network, the random forest.

A kind knows how to build, describe, estimate, train, save, load and predict with its models; the
rest of Digit Lab asks it instead of checking types or file suffixes. Adding a kind is one module
with a `Kind` subclass, a line in all_kinds() below, and its presets in nn.presets.PRESETS.

Importing this module imports none of the frameworks: each kind imports its own when it works.
"""

from __future__ import annotations

import functools
from pathlib import Path

from nn.errors import ModelLoadError
from nn.kinds.kind import Kind
from nn.presets import ModelSource, preset


@functools.cache
def all_kinds() -> dict[str, Kind]:
    """Every kind, by name. (A function: the kind modules import this one.)"""
    from nn.kinds.forest import ForestKind
    from nn.kinds.keras.kind import KerasKind
    from nn.kinds.numpy_net import NumpyKind

    return {kind.name: kind for kind in (KerasKind(), NumpyKind(), ForestKind())}


def declared_settings() -> list:
    """The training settings the kinds declare (nn.kinds.kind.Setting), each once."""
    settings = {}
    for kind in all_kinds().values():
        for setting in kind.settings:
            settings.setdefault(setting.name, setting)
    return list(settings.values())


def model_suffixes() -> tuple[str, ...]:
    return tuple(kind.suffix for kind in all_kinds().values())


def named(name: str) -> Kind:
    return all_kinds()[name]


def of_source(source: ModelSource) -> Kind:
    """The kind that trains a preset (by name), a custom spec, or a saved model (fine-tuning)."""
    if isinstance(source, Path):
        return of_file(source)
    if isinstance(source, str):
        return named(preset(source).kind)
    return named("keras")  # custom specs are Keras networks


def of_file(path: Path) -> Kind:
    """The kind whose files end like `path`; raises ModelLoadError for any other file."""
    for kind in all_kinds().values():
        if Path(path).suffix == kind.suffix:
            return kind
    raise ModelLoadError(f"{Path(path).name}: model files must end in {' or '.join(model_suffixes())}")


def of_model(model) -> Kind:
    for kind in all_kinds().values():
        if kind.owns(model):
            return kind
    raise TypeError(f"{type(model).__name__} is not a model Digit Lab knows")


def build(source: ModelSource, seed: int = 0, classes: int = 10):
    """A fresh model of a preset or custom spec, with initial weights fixed by `seed`, answering
    `classes` classes."""
    return of_source(source).build(source, seed, classes)


def load_model_file(path: Path):
    """Load any model file safely, by its kind; raises ModelLoadError with the reason."""
    return of_file(Path(path)).load(Path(path))
