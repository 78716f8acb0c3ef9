"""nn.preprocess: canvas and upload images -> MNIST's own 28x28 normalisation."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from nn.preprocess import EmptyImageError, ImageError, open_image, to_mnist
from tests.conftest import digit_canvas


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(x.shape)
    return float((rows * x).sum() / x.sum()), float((cols * x).sum() / x.sum())


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_a_small_digit_in_a_corner_comes_out_centred_and_20px(mnist):
    canvas = digit_canvas(mnist.x_test[0], size=70, at=(200, 5))  # a 7, small, bottom-left
    x = to_mnist(canvas)
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    r, c = centre_of_mass(x)
    assert abs(r - 14) <= 0.5 and abs(c - 14) <= 0.5
    ink_rows, ink_cols = np.flatnonzero(x.any(axis=1)), np.flatnonzero(x.any(axis=0))
    assert max(ink_rows[-1] - ink_rows[0], ink_cols[-1] - ink_cols[0]) + 1 in (20, 21)


@pytest.mark.parametrize("index", range(5))
def test_an_enlarged_mnist_digit_comes_back_close_to_the_original(mnist, index):
    original = mnist.x_test[index] / 255.0
    x = to_mnist(digit_canvas(mnist.x_test[index], size=200, at=(40, 60)))
    assert correlation(x, original) > 0.8


def test_polarity_dark_on_light_equals_light_on_dark(mnist):
    light = to_mnist(digit_canvas(mnist.x_test[3], light_on_dark=True, rgba=False))
    dark = to_mnist(digit_canvas(mnist.x_test[3], light_on_dark=False, rgba=False))
    np.testing.assert_allclose(light, dark, atol=0.02)


def test_transparent_canvas_with_white_or_black_strokes(mnist):
    gray = digit_canvas(mnist.x_test[1], rgba=False)
    for stroke in (255, 0):
        rgba = np.zeros((280, 280, 4), dtype=np.uint8)
        rgba[..., :3] = stroke
        rgba[..., 3] = gray  # strokes are opaque, the rest transparent
        x = to_mnist(rgba)
        assert correlation(x, mnist.x_test[1] / 255.0) > 0.8


@pytest.mark.parametrize("image", [
    np.zeros((280, 280, 4), dtype=np.uint8),  # transparent, nothing drawn
    np.full((280, 280, 4), 255, dtype=np.uint8),  # all white
    np.concatenate([np.zeros((280, 280, 3), np.uint8), np.full((280, 280, 1), 255, np.uint8)], 2),
    np.full((50, 50), 128, dtype=np.uint8),  # flat grey photo
])
def test_an_image_without_ink_raises(image):
    with pytest.raises(EmptyImageError, match="no digit"):
        to_mnist(image)


def test_uploaded_files_are_read_safely(mnist, tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(255 - digit_canvas(mnist.x_test[2], rgba=False)).save(buffer, format="JPEG")
    x = to_mnist(buffer.getvalue())
    assert correlation(x, mnist.x_test[2] / 255.0) > 0.8
    with pytest.raises(ImageError, match="not an image"):
        open_image(b"this is text, not a picture")
    with pytest.raises(ImageError, match="empty"):
        open_image(b"")
    with pytest.raises(ImageError, match="truncated or corrupt"):
        open_image(buffer.getvalue()[:400])
