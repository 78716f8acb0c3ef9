"""nn.inference: the direct call equals model.predict; saliency is a usable map."""

from __future__ import annotations

import numpy as np

from nn.config import TrainConfig
from nn.inference import Predictor
from nn.kinds import build
from nn.training import train
from tests.conftest import digit_canvas


def test_direct_call_equals_model_predict(mnist):
    for name in ("dense-128", "cnn-2"):
        model = build(name, 0)
        x = mnist.x_test[:300] / np.float32(255)
        expected = model.predict(x, verbose=0)
        predictor = Predictor(model)
        np.testing.assert_allclose(predictor.probabilities(x), expected, atol=1e-5)
        single = predictor.predict_one(x[0])
        np.testing.assert_allclose(single.probabilities, expected[0], atol=1e-5)
        assert single.label == int(expected[0].argmax())


def test_large_batches_are_chunked(mnist):
    predictor = Predictor(build("sigmoid-10", 0))
    x = mnist.x_test[:2500] / np.float32(255)
    assert predictor.probabilities(x).shape == (2500, 10)


def test_saliency_has_the_input_shape_and_is_finite(mnist):
    model = build("dense-128", 0)
    train(model, mnist, TrainConfig(epochs=1, subset=1000))
    predictor = Predictor(model)
    x, prediction = predictor.predict_image(digit_canvas(mnist.x_test[0]))
    s = predictor.saliency(x)
    assert s.shape == (28, 28) and np.isfinite(s).all()
    assert s.max() == 1.0 and s.min() >= 0.0
    # Where there is ink, the model's gradient is mostly larger than in the far corners.
    assert s[x > 0.5].mean() > s[:3, :3].mean()
    assert prediction.probabilities.shape == (10,)
