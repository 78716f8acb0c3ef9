"""Training-time data augmentation on batches of (n, 28, 28) float images in [0, 1].

Shift, small rotation, zoom and stroke thickness: the ways a person's digit differs from
another's. Runs inside tf.data, so it never touches the saved model.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def _stroke_thickness(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Thicken (grey dilation) a quarter of the images and thin (erosion) another quarter."""
    dilated = tf.nn.max_pool2d(images, ksize=2, strides=1, padding="SAME")
    eroded = -tf.nn.max_pool2d(-images, ksize=2, strides=1, padding="SAME")
    choice = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed=seed)
    images = tf.where(choice < 0.25, dilated, images)
    return tf.where(choice > 0.75, eroded, images)


class Augmenter:
    """Random changes that keep the label, reproducible from one seed, chosen per data set.

    Digits: shift, small rotation, zoom and stroke thickness (how writers differ). Clothing:
    shift, zoom and left-right mirroring; rotating or thinning a garment only hurts (a cnn-best
    trained with the digit recipe reached 89.98% on Fashion-MNIST).
    """

    def __init__(self, seed: int, dataset: str = "mnist"):
        self.seed = seed
        self.digits = dataset == "mnist"
        shift = keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed)
        zoom = keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2)
        if self.digits:
            turn = keras.layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed + 1)
            self.geometry = keras.Sequential([shift, turn, zoom])
        else:
            self.geometry = keras.Sequential([keras.layers.RandomFlip("horizontal", seed=seed + 1),
                                              shift, zoom])

    def __call__(self, images: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
        x = images[..., tf.newaxis]
        x = self.geometry(x, training=True)
        if self.digits:
            x = _stroke_thickness(x, tf.stack([tf.cast(step, tf.int32), self.seed]))
        return tf.clip_by_value(x[..., 0], 0.0, 1.0)
