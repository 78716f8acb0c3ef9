"""nn.kinds.keras.plans: the tutorials' presets with their published parameter counts, plans described
without TensorFlow and checked against the Keras models they build, custom specs."""

from __future__ import annotations

import numpy as np
import pytest

from nn import words
from nn.kinds import registry as kinds
from nn.kinds.keras.plans import ConvSpec, DenseSpec, describe, spec_from_dict, spec_to_dict
from nn.presets import PRESETS, UnknownModelError, plan_of, preset

# Parameter counts printed by the tutorials' own `model.summary()`.
PUBLISHED_PARAMS = {
    "dense-128": 101_770,
    "dense-128x2": 118_282,
    "sigmoid-10": 7_960,
    "cnn-1": 607_394,
    "cnn-2": 113_898,
}
KERAS_PRESETS = [name for name, p in PRESETS.items() if p.kind == "keras"]
CUSTOM_SPECS = [
    DenseSpec(hidden=(64, 32), activation="tanh", dropout=0.1),
    DenseSpec(hidden=(7,)),
    ConvSpec(blocks=((8, 3), (16, 5)), dense=(32,), batch_norm=True),
    ConvSpec(blocks=((4, 7), (6, 1), (5, 3)), dense=(9, 11), dropout=0.0),
]


@pytest.mark.parametrize("name, params", PUBLISHED_PARAMS.items())
def test_presets_have_the_tutorials_parameter_counts(name, params):
    assert kinds.build(name).count_params() == params


def keras_rows(model) -> list[tuple]:
    return [(layer.name, type(layer).__name__, words.shape(layer.output.shape[1:]), int(layer.count_params()))
            for layer in model.layers[1:]]  # after the input layer


@pytest.mark.parametrize("source", [*KERAS_PRESETS, *CUSTOM_SPECS], ids=str)
def test_the_description_without_tensorflow_is_what_keras_builds(source):
    described = [(r["layer"], r["type"], r["output shape"], r["params"]) for r in describe(plan_of(source))]
    assert described == keras_rows(kinds.build(source))


def test_the_described_cost_counts_every_multiply_add():
    rows = describe(plan_of("cnn-2"))
    conv1 = 24 * 24 * 32 * 5 * 5 * 1  # each output value of conv 32 5x5 on 28x28x1
    conv2 = 10 * 10 * 32 * 3 * 3 * 32
    dense = 800 * 128 + 128 * 10
    assert sum(r["macs"] for r in rows) == conv1 + conv2 + dense


def test_cnn_best_uses_batch_norm_and_every_preset_describes_itself():
    layer_types = {type(layer).__name__ for layer in kinds.build("cnn-best").layers}
    assert {"BatchNormalization", "Conv2D", "Dropout"} <= layer_types
    assert PRESETS["cnn-best"].augment and PRESETS["cnn-best"].lr_schedule == "cosine"
    for p in PRESETS.values():
        assert p.description and p.optimizer in ("adam", "sgd", "rmsprop") and p.kind in kinds.all_kinds()
        assert p.learning_rate > 0 and p.batch_size > 0 and p.epochs > 0


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(UnknownModelError, match="known presets: cnn-fast, dense-128, dense-128x2"):
        preset("resnet-50")
    with pytest.raises(UnknownModelError):
        kinds.build("resnet-50")


def test_the_numpy_preset_is_the_tutorials_network():
    model = kinds.build("numpy-mlp", seed=1)
    assert type(model).__name__ == "NumpyMLP"
    assert model.count_params() == 784 * 40 + 40 * 10  # no biases, as in the tutorial
    assert np.abs(model.w1).max() <= 0.1 and np.abs(model.w1).max() > 0.099
    p = PRESETS["numpy-mlp"]
    assert (p.optimizer, p.learning_rate, p.subset, p.epochs) == ("sgd", 0.005, 1000, 350)


@pytest.mark.parametrize("name", KERAS_PRESETS)
def test_every_model_outputs_probabilities(name):
    model = kinds.build(name)
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    p = np.asarray(model(x, training=False))
    assert p.shape == (3, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert model.layers[-1].activation.__name__ == "softmax"


def test_custom_specs_build_through_the_same_function():
    dense = kinds.build(DenseSpec(hidden=(64, 32), activation="tanh", dropout=0.1))
    assert dense.count_params() == 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10
    cnn = kinds.build(ConvSpec(blocks=((8, 3), (16, 5)), dense=(32,), batch_norm=True))
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
        kinds.build(spec)


def test_spec_dict_round_trip_and_unknown_keys():
    spec = ConvSpec(blocks=((16, 3), (32, 3)), dense=(64,), dropout=0.3)
    assert spec_from_dict(spec_to_dict(spec)) == spec
    with pytest.raises(ValueError, match="unknown dense spec keys: layers"):
        spec_from_dict({"kind": "dense", "layers": 3})


@pytest.mark.parametrize("with_metadata", [True, False], ids=["trained here", "uploaded"])
def test_a_stored_model_is_described_as_a_transfer_run_builds_it(tmp_path, with_metadata):
    """Transfer to five classes: the table shows the stored layers and a last layer of five, from
    the plan its metadata names, or from the file's own layers when it names none."""
    import shutil
    from pathlib import Path

    from nn.kinds.keras.kind import with_new_head

    bundled = Path("assets/models/mnist-cnn-best.keras")
    path = shutil.copy(bundled, tmp_path / "base.keras")
    if with_metadata:
        shutil.copy(bundled.with_suffix(".json"), tmp_path / "base.json")
    kind = kinds.of_source(Path(path))
    described = [(r["type"], r["output shape"], r["params"]) for r in kind.describe(Path(path), 5)]
    built = with_new_head(kind.load(Path(path)), 5, seed=0)
    assert described == [row[1:] for row in keras_rows(built)]
    assert described[-1] == ("Dense", "5", 256 * 5 + 5)


def test_a_preset_is_described_with_an_own_sets_classes():
    assert kinds.named("keras").describe("cnn-fast", 3)[-1]["output shape"] == "3"
    assert kinds.named("keras").describe("cnn-fast")[-1]["output shape"] == "10"
