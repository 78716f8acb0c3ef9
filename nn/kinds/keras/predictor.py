"""The Keras kind's predictor: a compiled direct call of the model (not `model.predict`), in
batches, with saliency.

`model.predict` builds a data pipeline on every call, tens of milliseconds for one image; a traced
function called directly costs a few and gives the same numbers (bench/RESULTS.md: inference).
"""

from __future__ import annotations

import numpy as np

from nn.kinds.kind import Predicting, unit_scaled

BATCH = 1024  # images per call: a test set is predicted in slices of this size


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
