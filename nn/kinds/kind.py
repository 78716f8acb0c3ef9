"""What a kind of model is: `Kind` (build, describe, estimate, train, save, load, predict) and
`Predicting`, the one interface of every kind's predictor, with what it answers (`Prediction`,
`LayerOutput`).

A kind knows how to do all of it for its models; the rest of Digit Lab asks it instead of checking
types or file suffixes (nn.kinds.registry finds the kind of a preset, a source or a file).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nn import words
from nn.errors import DigitLabError
from nn.limits import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_LEARNING_RATE
from nn.preprocess import to_mnist
from nn.presets import ModelSource
from nn.training_config import OPTIMIZERS, TrainConfig


@dataclass(frozen=True)
class Setting:
    """A training setting a kind has: its name, how people see it, and its range.

    The Train form and the command line are built from the settings the kinds declare; the data
    settings every kind has (training images, validation split, seed) are not declared. The shared
    ones are TrainConfig fields; a kind's own ones live in TrainConfig.kind_settings."""

    name: str  # the TrainConfig field, or the key in its kind_settings
    label: str  # for people
    type: type = int  # int, float, bool or str (one of `choices`)
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""  # one line: what it does
    default: object = None  # a kind's own setting: its value when the config does not give one

    def value_in(self, config: TrainConfig):
        """This setting's value in `config`."""
        if self.name in TrainConfig.__dataclass_fields__:
            return getattr(config, self.name)
        return config.kind_settings.get(self.name, self.default)

    @property
    def flag(self) -> str:
        """Its option on the command line."""
        return "--" + self.name.replace("_", "-")

    def problem(self, value) -> str | None:
        """Why `value` is not a value of this setting, as a sentence for people; None when it is."""
        setting = self.name.replace("_", " ")
        if self.type is bool:
            return None if isinstance(value, bool) else f"{setting} must be true or false, got {value!r}"
        if self.type is str:
            return None if value in self.choices else (
                f"{setting} must be one of {', '.join(self.choices)}, got {value!r}")
        whole = self.type is int
        numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if (numeric and (not whole or float(value).is_integer()) and math.isfinite(value)
                and (self.low is None or value >= self.low) and (self.high is None or value <= self.high)):
            return None
        what = "a whole number" if whole else "a number"
        return f"{setting} must be {what} from {self.low:g} to {self.high:g}, got {value!r}"


EPOCHS = Setting("epochs", words.term("Epochs"), int, 1, MAX_EPOCHS, 1,
                 help=words.term("passes over the training images"))
BATCH_SIZE = Setting("batch_size", words.term("Batch size"), int, 1, MAX_BATCH_SIZE, 1,
                     help=words.term("images per step"))
OPTIMIZER = Setting("optimizer", words.term("Optimizer"), str, choices=OPTIMIZERS,
                    help=words.term("how the weights move"))
LEARNING_RATE = Setting("learning_rate", words.term("Learning rate"), float, 0.0, MAX_LEARNING_RATE, 0.0001,
                        help=words.term("how far each step moves the weights"))
AUGMENT = Setting("augment", words.term("Augmentation"), bool,
                  help=words.term("Random changes of the images while training (shift, rotation, zoom and "
                                  "stroke thickness for digits; mirroring, shift and erasing for clothing)"))
# The settings more than one kind has; TrainConfig.problems checks them for every kind.
SHARED = (EPOCHS, BATCH_SIZE, OPTIMIZER, LEARNING_RATE, AUGMENT)


class OwnClassesError(DigitLabError):
    """A kind of model that cannot learn a set of other than ten classes."""


def ten_classes_only(kind_title: str, classes: int) -> None:
    if classes != 10:
        raise OwnClassesError(f"{kind_title} reads ten classes; a set of {classes} trains a Keras "
                              "network (a dense or convolutional preset)")


class Kind:
    """What every kind of model provides. Subclasses fill in the methods that raise here."""

    name: str = ""  # the key in all_kinds() and in nn.presets.Preset.kind
    suffix: str = ""  # its model files end in this
    title: str = ""  # what its models are, for people
    file_title: str = ""  # what its files are, for people
    fine_tunable: bool = False  # can start from a saved model's weights
    any_classes: bool = False  # learns a set of any number of classes (one's own), not only ten
    # The training settings it has, besides the data settings every kind has: the Train form and
    # the command line show only these.
    settings: tuple[Setting, ...] = SHARED
    chance_loss: float = 0.0  # its loss when it guesses; divergence is measured against it

    # --- before training ---------------------------------------------------------------------
    def build(self, source: ModelSource, seed: int, classes: int = 10):
        """A new model of `source` answering `classes` classes (an own set's: nn.own_data); the
        kinds that read only ten refuse other numbers (OwnClassesError)."""
        raise NotImplementedError

    def describe(self, source: ModelSource, classes: int = 10) -> list[dict]:
        """Layer table rows (layer, type, output shape, params), without building the model; its
        last layer answers `classes` (the kinds that read only ten show ten)."""
        raise NotImplementedError

    def estimate_seconds(self, source: ModelSource, config: TrainConfig, train_size: int) -> float:
        """Seconds the whole training takes on the reference machine, from a measured table."""
        raise NotImplementedError

    def config_problems(self, config: TrainConfig) -> list[str]:
        """Settings this kind does not have, or values out of its settings' ranges, for people."""
        own = [s for s in self.settings if s not in SHARED]  # TrainConfig checks the shared ones
        others = sorted(set(config.kind_settings) - {s.name for s in own})
        problems = [f"{self.title} has no setting {name.replace('_', ' ')!r}"
                    for name in others]
        return problems + [p for s in own if (p := s.problem(s.value_in(config))) is not None]

    def settings_words(self, config: TrainConfig) -> list[words.Phrase]:
        """Its training settings in a few words each, for a run's details."""
        return [words.counted("{n} epoch", "{n} epochs", config.epochs),
                words.said("batch {size}", size=config.batch_size),
                words.Phrase("{optimizer} {rate}",  # names and a number: nothing to translate
                             {"optimizer": config.optimizer, "rate": config.learning_rate})]

    def settings_line(self, config: TrainConfig) -> str:
        return " · ".join(map(str, self.settings_words(config)))

    # --- training ------------------------------------------------------------------------------
    def new_recorder(self, config: TrainConfig, train_images: int, end_early):
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

    def check_file(self, path: Path) -> None:
        """Refuse (ModelLoadError) a file of this kind that is not sound, with what can be seen
        without running any of its model code; nn.storage.trial then tries the rest in a process
        of its own."""

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

    # --- other formats (nn.export) -------------------------------------------------------------
    export_formats: tuple[str, ...] = ()  # what its models export to: "onnx" (the browser), "tflite"
    no_export_why = "this kind of model does not export"  # for people, when export_formats is empty

    def export(self, path: Path, fmt: str, out: Path) -> None:
        """Write the model file `path` as `fmt` (one of export_formats) to `out`: a graph that takes
        (1, 28, 28) float32 pixels in [0, 1] and returns the probabilities of its classes."""
        raise NotImplementedError

    # --- using -----------------------------------------------------------------------------------
    def predictor(self, model):
        """Fast repeated predictions (a Predicting)."""
        raise NotImplementedError

    def file_predictor(self, path: Path):
        """The predictions of a model file, as the app keeps them (nn.inference.predictor_for_file)."""
        return self.predictor(self.load(path))


@dataclass(frozen=True)
class LayerOutput:
    name: str
    type: str  # the layer's class, as Keras names it
    values: np.ndarray  # its output for one image, without the batch axis


class Predicting:
    """What every predictor offers on top of its `probabilities(images)` and `saliency(image)`.

    Networks also look inside themselves (nn.inside): `layer_outputs`, `features` (the last hidden
    layer, the one the answer is read from) and `first_weights` (what the first layer learned).
    """

    inside_refusal = words.term("this model is not a network: it has no layers to look inside")

    def layer_outputs(self, image28: np.ndarray) -> list[LayerOutput]:
        """Every layer's output for one (28, 28) image, from the first layer to the answer."""
        raise NotANetwork(self.inside_refusal)

    def features(self, images: np.ndarray) -> np.ndarray:
        """(n, d): the last hidden layer's values for (n, 28, 28) images."""
        raise NotANetwork(self.inside_refusal)

    def first_weights(self) -> tuple[str, np.ndarray]:
        """("filters", (k, h, w)) of a first convolution, or ("units", (k, 28, 28)) of a first
        dense layer reading the pixels; ("", empty) when the first layer is neither."""
        raise NotANetwork(self.inside_refusal)

    def predict_one(self, image28: np.ndarray) -> Prediction:
        p = self.probabilities(image28[np.newaxis])[0]
        label = int(np.argmax(p))
        return Prediction(label, float(p[label]), p)

    def predict_image(self, image) -> tuple[np.ndarray, Prediction]:
        """Any image (canvas RGBA array, upload, path) -> (its 28x28 form, the prediction)."""
        x = to_mnist(image)
        return x, self.predict_one(x)


def unit_scaled(grad: np.ndarray) -> np.ndarray:
    grad = np.abs(grad).reshape(28, 28)
    top = grad.max()
    return (grad / top if top > 0 else grad).astype(np.float32)


@dataclass(frozen=True)
class Prediction:
    label: int  # index of the most likely class
    confidence: float  # its probability
    probabilities: np.ndarray  # (10,)

    @property
    def runner_up(self) -> int:
        return int(np.argsort(self.probabilities)[-2])

    @property
    def is_close_call(self) -> bool:
        """The top two classes are within 0.25 of each other: say "4 or 9?"."""
        return self.confidence - float(self.probabilities[self.runner_up]) < 0.25


class NotANetwork(DigitLabError, ValueError):
    """The model has no layers to look inside (the random forest); the message says so."""
