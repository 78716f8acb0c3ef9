"""Kinds of model: Keras networks, the NumPy network, the random forest.

A kind knows how to build, describe, estimate, train, save, load and predict with its models; the
rest of Digit Lab asks it instead of checking types or file suffixes. Adding a kind is one module
with a `Kind` subclass, a line in all_kinds() below, and its presets in nn.models.PRESETS.

Importing this module imports none of the frameworks: each kind imports its own when it works.
"""

from __future__ import annotations

import functools
from pathlib import Path

from nn.config import TrainConfig
from nn.errors import ModelLoadError
from nn.models import ModelSource, preset


class Kind:
    """What every kind of model provides. Subclasses fill in the methods that raise here."""

    name: str = ""  # the key in all_kinds() and in nn.models.Preset.kind
    suffix: str = ""  # its model files end in this
    file_title: str = ""  # what its files are, for people
    fine_tunable: bool = False  # can start from a saved model's weights
    # Which training settings mean something for it (the Train form shows only these).
    settings: tuple[str, ...] = ("epochs", "batch_size", "optimizer", "learning_rate", "subset",
                                 "validation_split", "seed", "augment")
    chance_loss: float = 0.0  # its loss when it guesses; divergence is measured against it

    # --- before training ---------------------------------------------------------------------
    def build(self, source: ModelSource, seed: int):
        raise NotImplementedError

    def describe(self, source: ModelSource) -> list[dict]:
        """Layer table rows (layer, type, output shape, params), without building the model."""
        raise NotImplementedError

    def estimate_seconds(self, source: ModelSource, config: TrainConfig, train_size: int) -> float:
        """Seconds the whole training takes on the reference machine, from a measured table."""
        raise NotImplementedError

    def config_problems(self, config: TrainConfig) -> list[str]:
        """Settings this kind does not have, as sentences for people."""
        return []

    # --- training ------------------------------------------------------------------------------
    def new_recorder(self, config: TrainConfig, train_images: int, stop_flag):
        """The live-metrics recorder its trainer reports to (nn.progress.LiveMetrics)."""
        raise NotImplementedError

    def train(self, model, data, config: TrainConfig, recorder, initial_epoch: int = 0,
              on_epoch_end=None):
        """Train `model` (from `initial_epoch` when resuming); returns nn.progress.TrainResult."""
        raise NotImplementedError

    # --- files -----------------------------------------------------------------------------------
    def owns(self, model) -> bool:
        raise NotImplementedError

    def save(self, model, path: Path) -> None:
        """Write the trained model, as people will load and use it."""
        raise NotImplementedError

    def load(self, path: Path):
        """Read a model file safely (no code from the file runs); raises ModelLoadError."""
        raise NotImplementedError

    def save_checkpoint(self, model, path: Path) -> None:
        """Write what resuming needs (the optimizer state too, where there is one)."""
        self.save(model, path)

    def load_checkpoint(self, path: Path):
        return self.load(path)

    def params(self, model) -> int:
        return int(model.count_params())

    # --- using -----------------------------------------------------------------------------------
    def predictor(self, model):
        """Fast repeated predictions (nn.inference.Predicting)."""
        raise NotImplementedError

    def file_predictor(self, path: Path):
        """The predictions of a model file, as the app keeps them (nn.inference.predictor_for_file)."""
        return self.predictor(self.load(path))


@functools.cache
def all_kinds() -> dict[str, Kind]:
    """Every kind, by name. (A function: the kind modules import this one.)"""
    from nn.forest import ForestKind
    from nn.keras_kind import KerasKind
    from nn.numpy_mlp import NumpyKind

    return {kind.name: kind for kind in (KerasKind(), NumpyKind(), ForestKind())}


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


def build(source: ModelSource, seed: int = 0):
    """A fresh model of a preset or custom spec, with initial weights fixed by `seed`."""
    return of_source(source).build(source, seed)


def load_model_file(path: Path):
    """Load any model file safely, by its kind; raises ModelLoadError with the reason."""
    return of_file(Path(path)).load(Path(path))
