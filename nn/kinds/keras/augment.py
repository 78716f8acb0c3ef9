"""Training-time data augmentation on batches of (n, 28, 28) float images in [0, 1].

Digits: shift, small rotation, zoom, stroke thickness and low resolution, the ways a person's
digit differs from another's and a scanned or small drawing from MNIST's. Clothing: mirroring, a
small shift and random erasing. Runs inside tf.data, so it never touches the saved model.

Shift, rotation and zoom are composed into one affine map per image and applied in a single
resampling pass: three separate Keras preprocessing layers resample three times, which cost
about 30% of a training step of the four-conv CNN on 2 cores.
"""

from __future__ import annotations

import math

import tensorflow as tf

SIZE = 28
CENTRE = (SIZE - 1) / 2
SHIFT = 0.1  # of the image size, each way
ZOOM = 0.1  # scale in [0.9, 1.1]
ROTATION_DEGREES = 10.0  # digits only: a garment turned on its side is not the same garment
CLOTHING_SHIFT = 0.07  # Fashion-MNIST items are centred and scaled to fill the frame: 2 pixels
LOW_RES_PROBABILITY = 0.25  # digits: this share is seen as if scanned at low resolution ...
LOW_RES_SIDES = (9, 16)  # ... shrunk from 28 px a side to a side in this range, then enlarged again
ERASE_PROBABILITY = 0.5  # random erasing (Zhong et al. 2017) of one rectangle ...
ERASE_AREA = (0.02, 0.25)  # ... covering this fraction of the image ...
ERASE_ASPECT = (0.3, 3.3)  # ... with this height / width


def affine_transforms(angle: tf.Tensor, scale: tf.Tensor, shift_x: tf.Tensor,
                      shift_y: tf.Tensor) -> tf.Tensor:
    """(n, 8) projective-transform rows that rotate by `angle` (radians) and scale by `scale`
    about the centre, then shift by (shift_x, shift_y) pixels.

    Each row maps an output pixel to the input pixel it is read from, the inverse of the
    movement: input = centre + R(-angle) (output - centre - shift) / scale.
    """
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    x0, y0 = CENTRE + shift_x, CENTRE + shift_y
    zeros = tf.zeros_like(angle)
    return tf.stack([cos, sin, CENTRE - cos * x0 - sin * y0,
                     -sin, cos, CENTRE + sin * x0 - cos * y0, zeros, zeros], axis=1)


def apply_affine(images: tf.Tensor, transforms: tf.Tensor) -> tf.Tensor:
    """Resample (n, 28, 28, 1) images through `transforms`; outside the image is black."""
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=tf.cast(transforms, tf.float32), output_shape=[SIZE, SIZE],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")


def _stroke_thickness(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Thicken (grey dilation) a quarter of the images and thin (erosion) another quarter."""
    dilated = tf.nn.max_pool2d(images, ksize=2, strides=1, padding="SAME")
    eroded = -tf.nn.max_pool2d(-images, ksize=2, strides=1, padding="SAME")
    choice = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed=seed)
    images = tf.where(choice < 0.25, dilated, images)
    return tf.where(choice > 0.75, eroded, images)


def _low_resolution(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Shrink some images to a few pixels a side and enlarge them again, as a digit scanned at
    low resolution (or drawn small) looks once scaled up: blurred, with blocky grey strokes."""
    u = tf.random.stateless_uniform([2], seed=seed)
    side = tf.cast(LOW_RES_SIDES[0] + u[0] * (LOW_RES_SIDES[1] + 1 - LOW_RES_SIDES[0]), tf.int32)
    small = tf.image.resize(images, tf.stack([side, side]), method="area")
    blurred = tf.image.resize(small, [SIZE, SIZE], method="bilinear")
    choice = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed=seed + [0, 1])
    blurred /= tf.reduce_max(blurred, axis=[1, 2, 3], keepdims=True) + 1e-6  # as bright as before
    return tf.where(choice < LOW_RES_PROBABILITY, blurred, images)


def _random_erasing(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Fill one random rectangle of some images with noise, so that the model can't lean on
    any single part of a garment (a collar, a heel) being visible."""
    n = tf.shape(images)[0]
    u = tf.random.stateless_uniform([n, 5], seed=seed)
    area = (ERASE_AREA[0] + u[:, 0] * (ERASE_AREA[1] - ERASE_AREA[0])) * SIZE * SIZE
    aspect = tf.exp(math.log(ERASE_ASPECT[0]) + u[:, 1] * math.log(ERASE_ASPECT[1] / ERASE_ASPECT[0]))
    height = tf.minimum(tf.sqrt(area * aspect), SIZE)
    width = tf.minimum(tf.sqrt(area / aspect), SIZE)
    top = u[:, 2] * (SIZE - height)
    left = u[:, 3] * (SIZE - width)
    rows = tf.range(SIZE, dtype=tf.float32)[tf.newaxis, :, tf.newaxis]
    cols = tf.range(SIZE, dtype=tf.float32)[tf.newaxis, tf.newaxis, :]
    inside = ((rows >= top[:, None, None]) & (rows < (top + height)[:, None, None])
              & (cols >= left[:, None, None]) & (cols < (left + width)[:, None, None])
              & (u[:, 4] < ERASE_PROBABILITY)[:, None, None])
    noise = tf.random.stateless_uniform(tf.shape(images)[:3], seed=seed + [0, 1])  # next stream
    return tf.where(inside[..., tf.newaxis], noise[..., tf.newaxis], images)


class Augmenter:
    """Random changes that keep the label, reproducible from one seed, chosen per data set.

    Digits: shift, small rotation, zoom, stroke thickness (how writers differ) and low resolution
    (how scanners and small drawings differ). Clothing: left-right mirroring, a 2-pixel shift and
    random erasing; rotating, zooming or thinning a garment only hurts (the four-conv CNN trained
    with the digit recipe reached 89.98% on Fashion-MNIST, with shift, zoom and mirroring 90.95%).
    """

    def __init__(self, seed: int, dataset: str = "mnist"):
        self.seed = seed
        self.digits = dataset == "mnist"

    def _seed(self, step: tf.Tensor, stream: int) -> tf.Tensor:
        return tf.stack([tf.cast(step, tf.int32), self.seed * 8 + stream])

    def __call__(self, images: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
        x = images[..., tf.newaxis]
        n = tf.shape(x)[0]
        u = tf.random.stateless_uniform([n, 4], seed=self._seed(step, 0), minval=-1.0, maxval=1.0)
        if self.digits:
            angle, scale, shift = u[:, 0] * math.radians(ROTATION_DEGREES), 1.0 + u[:, 1] * ZOOM, SHIFT
        else:
            angle, scale, shift = tf.zeros([n]), tf.ones([n]), CLOTHING_SHIFT
        transforms = affine_transforms(angle, scale, u[:, 2] * shift * SIZE, u[:, 3] * shift * SIZE)
        if not self.digits:
            flip = tf.random.stateless_uniform([n, 1, 1, 1], seed=self._seed(step, 1)) < 0.5
            x = tf.where(flip, tf.reverse(x, axis=[2]), x)
        x = apply_affine(x, transforms)
        if self.digits:
            x = _stroke_thickness(x, self._seed(step, 2))
            x = _low_resolution(x, self._seed(step, 4))
        else:
            x = _random_erasing(x, self._seed(step, 3))
        return tf.clip_by_value(x[..., 0], 0.0, 1.0)
