"""nn.inference and nn.kinds.keras.numpy_forward: the direct call and the NumPy forward pass equal Keras; the
shared predictors; saliency is a usable map."""

from __future__ import annotations

import numpy as np
import pytest

from nn import inference
from nn.kinds import registry as kinds
from nn.kinds.keras import numpy_forward as keras_numpy
from nn.kinds.keras.plans import ConvSpec, DenseSpec
from nn.kinds.keras.predictor import Predictor
from nn.kinds.keras.training import train
from nn.kinds.registry import build
from nn.presets import PRESETS
from nn.storage.saved_models import ModelStore
from nn.training_config import TrainConfig
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


KERAS_PRESETS = [name for name, p in PRESETS.items() if p.kind == "keras"]


@pytest.mark.parametrize("source", [*KERAS_PRESETS, DenseSpec(hidden=(32, 16), activation="gelu"),
                                    DenseSpec(hidden=(8,), activation="elu", dropout=0.2),
                                    ConvSpec(blocks=((6, 5), (4, 1)), dense=(12,), batch_norm=True)], ids=str)
def test_the_numpy_forward_pass_is_what_keras_computes(source, mnist, tmp_path):
    model = build(source, 3)
    train(model, mnist, TrainConfig(epochs=1, subset=300, batch_size=100))  # batch norm statistics move
    path = tmp_path / "m.keras"
    kinds.named("keras").save(model, path)
    forward = keras_numpy.read(path)
    x = mnist.x_test[:64] / np.float32(255)
    np.testing.assert_allclose(forward.probabilities(x), model(x, training=False), atol=2e-6)
    layers = forward.outputs(x[:2])
    assert len(layers) == len(model.layers)  # one output per Keras layer, in order
    for mine, keras_layer in zip(layers, model.layers):
        assert mine.shape[1:] == tuple(keras_layer.output.shape[1:]), keras_layer.name


def test_models_it_cannot_run_go_to_tensorflow(tmp_path, mnist):
    import keras

    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.concatenate([keras.layers.Dense(8)(x), keras.layers.Dense(8)(x)])  # a branch
    branched = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    strided = keras.Sequential([keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1)),
                                keras.layers.Conv2D(4, 3, strides=2), keras.layers.Flatten(),
                                keras.layers.Dense(10, activation="softmax")])
    x = mnist.x_test[:40] / np.float32(255)
    for i, model in enumerate((branched, strided)):
        path = tmp_path / f"{i}.keras"
        model.save(path)
        assert keras_numpy.read(path) is None
        predictor = inference.predictor_for_file(path)
        np.testing.assert_allclose(predictor.probabilities(x[:1]), model(x[:1]), atol=1e-6)


def test_a_file_predictor_answers_small_batches_in_numpy_and_large_ones_in_tensorflow(mnist):
    from nn.kinds.keras.kind import FilePredictor

    path = ModelStore().get("mnist-cnn-best").path
    assert inference.predictor_for_file(path) is inference.predictor_for_file(path)  # once per version
    predictor = FilePredictor(path)  # a new one: the shared one may have used TensorFlow already
    x = mnist.x_test[:600] / np.float32(255)
    small = np.concatenate([predictor.probabilities(x[i:i + 20]) for i in range(0, 600, 20)])
    assert predictor._keras is None  # so far without TensorFlow's model
    np.testing.assert_allclose(small, predictor.probabilities(x), atol=2e-6)
    assert predictor._keras is not None
    assert predictor.saliency(x[0]).shape == (28, 28)
