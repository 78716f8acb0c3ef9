"""Augmentation: the one-pass affine map moves digits the way it says, and keeps them recognisable."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from nn.kinds.keras.augment import (
    LOW_RES_PROBABILITY,
    Augmenter,
    _low_resolution,
    _random_erasing,
    affine_transforms,
    apply_affine,
)


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    rows, cols = np.indices(image.shape)
    return np.array([(rows * image).sum(), (cols * image).sum()]) / image.sum()


def moved(image: np.ndarray, angle=0.0, scale=1.0, dx=0.0, dy=0.0) -> np.ndarray:
    t = affine_transforms(*(tf.constant([float(v)]) for v in (angle, scale, dx, dy)))
    return apply_affine(tf.constant(image[None, ..., None], tf.float32), t).numpy()[0, ..., 0]


def test_identity_shift_zoom_and_rotation(mnist):
    digit = mnist.x_test[0] / np.float32(255)
    np.testing.assert_allclose(moved(digit), digit, atol=1e-6)
    np.testing.assert_allclose(centre_of_mass(moved(digit, dx=2, dy=-1)) - centre_of_mass(digit),
                               [-1, 2], atol=0.05)  # (row, col): right by 2, up by 1
    ink = (digit > 0.5).sum()
    assert (moved(digit, scale=1.1) > 0.5).sum() > ink * 1.1  # zoom in: more ink pixels
    turned = moved(digit, angle=np.pi / 2)
    np.testing.assert_allclose(turned, np.rot90(digit, k=-1), atol=1e-4)  # a quarter turn, clockwise


def test_augmented_batches_are_reproducible_and_still_digits(mnist):
    x = tf.constant(mnist.x_test[:256] / np.float32(255))
    a = Augmenter(3)(x, tf.constant(7)).numpy()
    np.testing.assert_array_equal(a, Augmenter(3)(x, tf.constant(7)).numpy())
    assert not np.array_equal(a, Augmenter(3)(x, tf.constant(8)).numpy())
    assert a.min() >= 0 and a.max() <= 1 and a.shape == (256, 28, 28)
    assert 0.5 < np.abs(a - x.numpy()).mean() / x.numpy().mean() < 1.5  # changed, not destroyed
    fashion = Augmenter(3, "fashion-mnist")(x, tf.constant(7)).numpy()
    assert not np.array_equal(fashion, a)


def test_random_erasing_fills_one_rectangle_in_about_half_the_images():
    erased = _random_erasing(tf.zeros([400, 28, 28, 1]), tf.constant([5, 3])).numpy()[..., 0] > 0
    hit = erased.any(axis=(1, 2))
    assert 0.4 < hit.mean() < 0.6
    for mask in erased[hit]:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        assert mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()  # one solid rectangle
        assert 0.01 < mask.mean() < 0.3


def test_low_resolution_blurs_some_digits_and_keeps_their_ink_where_it_was(mnist):
    x = mnist.x_test[:400, ..., None] / np.float32(255)
    out = _low_resolution(tf.constant(x), tf.constant([5, 3])).numpy()
    changed = np.abs(out - x).max(axis=(1, 2, 3)) > 1e-6
    assert abs(changed.mean() - LOW_RES_PROBABILITY) < 0.08
    blurred, sharp = out[changed], x[changed]
    assert np.allclose(blurred.max(axis=(1, 2, 3)), 1.0, atol=1e-3)  # as bright as before
    assert (blurred > 0.05).sum() > (sharp > 0.05).sum()  # the strokes spread ...
    for a, b in zip(blurred[:20, ..., 0], sharp[:20, ..., 0]):
        np.testing.assert_allclose(centre_of_mass(a), centre_of_mass(b), atol=0.6)  # ... in place
