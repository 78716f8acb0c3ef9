"""A drawing unlike anything the network learned from is told apart from the digits people draw."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from harness import drawn_digits
from nn import familiar
from nn.preprocess import to_mnist


def zigzag() -> np.ndarray:
    """The review's scribble: a zig-zag across the canvas, read as '4, 98% sure'."""
    canvas = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(canvas).line([(30 + 22 * k, 60 if k % 2 else 220) for k in range(11)], fill=255, width=16)
    return to_mnist(np.asarray(canvas))


def test_a_scribble_is_unfamiliar_and_every_drawn_digit_is_not(mnist):
    usual = familiar.usual_distance(mnist)
    scribble = familiar.familiarity(mnist, zigzag())
    assert scribble.unfamiliar and scribble.distance > 1.1 * usual, (scribble, usual)
    drawn, _, names = drawn_digits.normalised()
    distances, _ = familiar.nearest(mnist, drawn)
    assert (distances <= usual).all(), [n for n, d in zip(names, distances) if d > usual]


def test_the_nearest_training_image_is_found_exactly(mnist):
    image = mnist.x_train[12345]
    found = familiar.familiarity(mnist, image / np.float32(255))
    assert found.nearest == 12345 and found.distance < 1e-3
    # against the plain computation over the whole set, for a test image
    x = mnist.x_test[7].reshape(-1).astype(np.float64) / 255
    every = np.sqrt(((mnist.x_train.reshape(60000, -1) / 255.0 - x) ** 2).sum(axis=1))
    distance, index = familiar.nearest(mnist, mnist.x_test[7:8])
    assert index[0] == every.argmin() and abs(distance[0] - every.min()) < 1e-3
    # the usual distance is kept: a second look reads it back
    assert familiar.usual_distance(mnist) == familiar.usual_distance(mnist)


def test_an_own_set_read_again_is_searched_in_its_new_images(mnist):
    from dataclasses import replace

    from nn.data import Dataset

    info = replace(mnist.info, name="own:familiar-test", sha256={})
    first = Dataset(info, mnist.x_train[:50].copy(), mnist.y_train[:50], mnist.x_test[:5], mnist.y_test[:5])
    drawing = mnist.x_train[60]
    assert familiar.nearest(first, drawing[None])[0][0] > 1  # not among the first 50
    more = Dataset(info, mnist.x_train[:61].copy(), mnist.y_train[:61], mnist.x_test[:5], mnist.y_test[:5])
    distance, index = familiar.nearest(more, drawing[None])
    assert index[0] == 60 and distance[0] < 0.01


def test_an_own_sets_usual_distance_follows_its_test_drawings(mnist):
    from dataclasses import replace

    from nn.data import Dataset

    info = replace(mnist.info, name="own:familiar-usual", sha256={})
    few = Dataset(info, mnist.x_train[:100], mnist.y_train[:100], mnist.x_test[:20], mnist.y_test[:20])
    grown = Dataset(info, mnist.x_train[:100], mnist.y_train[:100], mnist.x_test[:40], mnist.y_test[:40])
    assert familiar.usual_distance(few) == familiar.usual_distance(few)
    assert familiar.usual_distance(grown) != familiar.usual_distance(few)  # not the first one's, kept
