"""Prediction: a compiled direct call of the model (not `model.predict`), batches, saliency.

`make_predictor(model)` gives the same interface for every kind of model (nn.kinds): each kind's
predictor is a `Predicting` with `probabilities` and `saliency`.

`model.predict` builds a data pipeline on every call (~50 ms here for one image); a traced
function called directly costs a few milliseconds and gives the same numbers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nn.preprocess import to_mnist

BATCH = 1024
CACHED_MODELS = 8  # predictors kept in memory per process, the most recently used


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


class NotANetwork(ValueError):
    """The model has no layers to look inside (the random forest); the message says so."""


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

    inside_refusal = "this model is not a network: it has no layers to look inside"

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


class Predictor(Predicting):
    """Wraps a Keras model for fast repeated calls on (n, 28, 28) float32 images in [0, 1]."""

    def __init__(self, model):
        import tensorflow as tf  # here, so that the other kinds' predictors need no TensorFlow

        self.model = model
        self.input_shape = tuple(model.inputs[0].shape[1:])  # (28, 28) or (28, 28, 1)
        self._call = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None, *self.input_shape), tf.float32)],
            reduce_retracing=True,
        )

    def _shaped(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32)
        if images.shape[-2:] == (28, 28) or images.shape[-3:] == (28, 28, 1):
            return images.reshape((-1, *self.input_shape))
        raise ValueError(f"expected 28x28 images, got shape {images.shape}")

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(n, 10) probabilities for (n, 28, 28) images (or one (28, 28) image -> (1, 10))."""
        x = self._shaped(images)
        if len(x) <= BATCH:
            return self._call(x).numpy()
        return np.concatenate([self._call(x[i:i + BATCH]).numpy() for i in range(0, len(x), BATCH)])

    def saliency(self, image28: np.ndarray, class_index: int | None = None) -> np.ndarray:
        """|d p(class) / d pixel| over the 28x28 input, scaled to [0, 1]; where the model looked."""
        import tensorflow as tf

        x = tf.Variable(self._shaped(image28[np.newaxis]))
        with tf.GradientTape() as tape:
            p = self.model(x, training=False)
            target = p[0, int(np.argmax(p[0])) if class_index is None else class_index]
        return unit_scaled(tape.gradient(target, x).numpy())


def make_predictor(model) -> Predicting:
    """The predictor for a loaded model, whichever kind it is."""
    from nn import kinds

    return kinds.of_model(model).predictor(model)


_predictors: OrderedDict[tuple[str, int], Predicting] = OrderedDict()
_loading = threading.Lock()  # one load at a time: a second caller waits for the first one's model


def _key(path: Path) -> tuple[str, int]:
    return str(path), Path(path).stat().st_mtime_ns


def is_loaded(path: Path) -> bool:
    return _key(path) in _predictors


def predictor_for_file(path: Path) -> Predicting:
    """The predictor of a model file, loaded once per version of the file and kept (in this
    process: every session of the app shares it)."""
    from nn import kinds

    key = _key(path)
    with _loading:
        if key not in _predictors:
            _predictors[key] = kinds.of_file(Path(path)).file_predictor(Path(path))
            while len(_predictors) > CACHED_MODELS:
                _predictors.popitem(last=False)
        _predictors.move_to_end(key)
        return _predictors[key]


def warm(path: Path) -> Predicting:
    """Load a model and call it once, so that the first real answer is as fast as the others."""
    predictor = predictor_for_file(path)
    predictor.predict_one(np.zeros((28, 28), dtype=np.float32))
    return predictor
