"""The drawn-digit evaluation set in harness/drawn_digits/: complete, readable, and read well."""

from __future__ import annotations

import numpy as np
import pytest

from harness import drawn_digits
from nn.inference import make_predictor
from nn.preprocess import to_mnist
from nn.storage.saved_models import ModelStore


@pytest.fixture(scope="module")
def drawn():
    return drawn_digits.load()


def test_the_set_is_complete_and_matches_its_plan(drawn):
    images, labels, names = drawn
    assert len(images) == 10 * drawn_digits.PER_DIGIT
    np.testing.assert_array_equal(np.bincount(labels), [drawn_digits.PER_DIGIT] * 10)
    for image, label, name in zip(images, labels, names):
        assert name.startswith(f"{label}-")
        assert image.shape == (280, 280, 4)  # what the canvas hands the page: RGBA, 280x280
        assert (image[..., 3] > 0).sum() > 200  # ink was drawn
    # the plan is the fixed-seed one: the set can be drawn again identically
    plans = {f"{p['label']}-{p['n']:02d}.png": p for p in drawn_digits.variations()}
    assert set(plans) == set(names)


def test_every_planned_drawing_fits_on_the_canvas():
    for plan in drawn_digits.variations():
        strokes, size, left, top = drawn_digits.strokes_for(plan)
        xs = [left + x * size for stroke in strokes for x, _ in stroke]
        ys = [top + y * size for stroke in strokes for _, y in stroke]
        assert 0 <= min(xs) and max(xs) <= 280 and 0 <= min(ys) and max(ys) <= 280, plan


def test_the_bundled_cnn_reads_the_drawings(drawn):
    predictor = make_predictor(ModelStore().load("mnist-cnn-best"))
    result = drawn_digits.score(predictor)
    assert result["n"] == 160
    assert result["accuracy"] >= 0.95, result["wrong"]
    # scoring agrees with the Draw page's own path, one image at a time
    images, labels, names = drawn
    wrong = {name for name, _, _ in result["wrong"]}
    for image, label, name in list(zip(images, labels, names))[::8]:
        assert (predictor.predict_one(to_mnist(image)).label != label) == (name in wrong)
