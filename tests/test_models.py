"""nn.models: the tutorials' presets with their published parameter counts, custom specs."""

from __future__ import annotations

import numpy as np
import pytest

from nn.models import (
    PRESETS,
    ConvSpec,
    DenseSpec,
    UnknownModelError,
    build_model,
    preset,
    spec_from_dict,
    spec_to_dict,
    summary_rows,
)

# Parameter counts printed by the tutorials' own `model.summary()`.
PUBLISHED_PARAMS = {
    "dense-128": 101_770,
    "dense-128x2": 118_282,
    "sigmoid-10": 7_960,
    "cnn-1": 607_394,
    "cnn-2": 113_898,
}


@pytest.mark.parametrize("name, params", PUBLISHED_PARAMS.items())
def test_presets_have_the_tutorials_parameter_counts(name, params):
    assert build_model(name).count_params() == params


def test_cnn_best_uses_batch_norm_and_every_preset_describes_itself():
    layer_types = {type(layer).__name__ for layer in build_model("cnn-best").layers}
    assert {"BatchNormalization", "Conv2D", "Dropout"} <= layer_types
    assert PRESETS["cnn-best"].augment and PRESETS["cnn-best"].lr_schedule == "cosine"
    for p in PRESETS.values():
        assert p.description and p.optimizer in ("adam", "sgd", "rmsprop")
        assert p.learning_rate > 0 and p.batch_size > 0 and p.epochs > 0


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(UnknownModelError, match="known presets: dense-128, dense-128x2"):
        preset("resnet-50")
    with pytest.raises(UnknownModelError):
        build_model("resnet-50")


KERAS_PRESETS = [name for name, p in PRESETS.items() if p.framework == "keras"]


def test_the_numpy_preset_is_the_tutorials_network():
    model = build_model("numpy-mlp", seed=1)
    assert type(model).__name__ == "NumpyMLP"
    assert model.count_params() == 784 * 40 + 40 * 10  # no biases, as in the tutorial
    assert np.abs(model.w1).max() <= 0.1 and np.abs(model.w1).max() > 0.099
    p = PRESETS["numpy-mlp"]
    assert (p.optimizer, p.learning_rate, p.subset, p.epochs) == ("sgd", 0.005, 1000, 350)


@pytest.mark.parametrize("name", KERAS_PRESETS)
def test_every_model_outputs_probabilities(name):
    model = build_model(name)
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    p = np.asarray(model(x, training=False))
    assert p.shape == (3, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert model.layers[-1].activation.__name__ == "softmax"


def test_custom_specs_build_through_the_same_function():
    dense = build_model(DenseSpec(hidden=(64, 32), activation="tanh", dropout=0.1))
    assert dense.count_params() == 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10
    cnn = build_model(ConvSpec(blocks=((8, 3), (16, 5)), dense=(32,), batch_norm=True))
    # conv 8x3x3 (no bias) + BN 4x8, conv 16x8x5x5 (no bias) + BN 4x16, dense 7*7*16 -> 32, 32 -> 10
    expected = 72 + 32 + 3200 + 64 + (784 * 32 + 32) + 330
    assert cnn.count_params() == expected


@pytest.mark.parametrize("spec, message", [
    (DenseSpec(hidden=()), "1 to 8 hidden layers"),
    (DenseSpec(activation="softsign"), "activation must be one of"),
    (DenseSpec(dropout=1.5), "dropout"),
    (ConvSpec(blocks=((8, 4),)), "kernel size"),
    (ConvSpec(blocks=((8, 3),) * 5), "1 to 4 conv blocks"),
])
def test_invalid_custom_specs_are_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        build_model(spec)


def test_spec_dict_round_trip_and_unknown_keys():
    spec = ConvSpec(blocks=((16, 3), (32, 3)), dense=(64,), dropout=0.3)
    assert spec_from_dict(spec_to_dict(spec)) == spec
    with pytest.raises(ValueError, match="unknown dense spec keys: layers"):
        spec_from_dict({"kind": "dense", "layers": 3})


def test_summary_rows_match_keras_totals():
    model = build_model("cnn-2")
    rows = summary_rows(model)
    assert sum(r["params"] for r in rows) == model.count_params()
    assert rows[-1]["output shape"] == "(None, 10)"
