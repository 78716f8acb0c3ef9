"""Prediction: a compiled direct call of the model (not `model.predict`), batches, saliency.

`make_predictor(model)` gives the same interface for Keras models and the NumPy network.

`model.predict` builds a data pipeline on every call (~50 ms here for one image); a traced
function called directly costs a few milliseconds and gives the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from nn.preprocess import to_mnist

BATCH = 1024


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


class _Predicting:
    """What every predictor offers on top of its `probabilities`."""

    def predict_one(self, image28: np.ndarray) -> Prediction:
        p = self.probabilities(image28[np.newaxis])[0]
        label = int(np.argmax(p))
        return Prediction(label, float(p[label]), p)

    def predict_image(self, image) -> tuple[np.ndarray, Prediction]:
        """Any image (canvas RGBA array, upload, path) -> (its 28x28 form, the prediction)."""
        x = to_mnist(image)
        return x, self.predict_one(x)


def _unit_scaled(grad: np.ndarray) -> np.ndarray:
    grad = np.abs(grad).reshape(28, 28)
    top = grad.max()
    return (grad / top if top > 0 else grad).astype(np.float32)


class Predictor(_Predicting):
    """Wraps a Keras model for fast repeated calls on (n, 28, 28) float32 images in [0, 1]."""

    def __init__(self, model):
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
            return self._call(tf.constant(x)).numpy()
        return np.concatenate([self._call(tf.constant(x[i:i + BATCH])).numpy()
                               for i in range(0, len(x), BATCH)])

    def saliency(self, image28: np.ndarray, class_index: int | None = None) -> np.ndarray:
        """|d p(class) / d pixel| over the 28x28 input, scaled to [0, 1]; where the model looked."""
        x = tf.Variable(self._shaped(image28[np.newaxis]))
        with tf.GradientTape() as tape:
            p = self.model(x, training=False)
            target = p[0, int(np.argmax(p[0])) if class_index is None else class_index]
        return _unit_scaled(tape.gradient(target, x).numpy())


class NumpyPredictor(_Predicting):
    """The same interface over nn.numpy_mlp.NumpyMLP (its forward pass is already fast)."""

    def __init__(self, model):
        self.model = model

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32)
        if images.shape[-2:] != (28, 28) and images.shape[-1] != 28 * 28:
            raise ValueError(f"expected 28x28 images, got shape {images.shape}")
        return self.model.probabilities(images)

    def saliency(self, image28: np.ndarray, class_index: int | None = None) -> np.ndarray:
        """|d output(class) / d pixel|, scaled to [0, 1]."""
        if class_index is None:
            class_index = int(np.argmax(self.model.outputs(image28)[0]))
        return _unit_scaled(self.model.input_gradient(image28, class_index))


def make_predictor(model) -> Predictor | NumpyPredictor:
    """The predictor for a loaded model, whichever kind it is."""
    from nn.numpy_mlp import NumpyMLP

    return NumpyPredictor(model) if isinstance(model, NumpyMLP) else Predictor(model)


def scale_uint8(images: np.ndarray) -> np.ndarray:
    """Dataset images (uint8 0..255) as model input (float32 0..1)."""
    return np.asarray(images, dtype=np.float32) / 255.0
