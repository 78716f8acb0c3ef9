"""nn.inside: layer outputs equal Keras run layer by layer, for every network the app trains;
nearest neighbours from the cached index; the map is deterministic and kept per model file."""

from __future__ import annotations

import numpy as np
import pytest

from nn import inside
from nn.inference import predictor_for_file
from nn.kinds import registry as kinds
from nn.kinds.keras.plans import ConvSpec, DenseSpec
from nn.kinds.keras.training import train
from nn.kinds.kind import NotANetwork
from nn.presets import PRESETS
from nn.storage.cache import file_key
from nn.training_config import TrainConfig

NETWORKS = [name for name, p in PRESETS.items() if p.kind in ("keras", "numpy")]


def saved(source, tmp_path, seed: int = 0):
    """A freshly built model, saved as the app saves it, and the predictor the app would use."""
    kind = kinds.of_source(source)
    model = kind.build(source, seed)
    path = tmp_path / f"model{kind.suffix}"
    kind.save(model, path)
    return model, predictor_for_file(path), path


def layers_of(model) -> list:
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def keras_layer_by_layer(model, image28: np.ndarray) -> list[np.ndarray]:
    x = image28.reshape(1, 28, 28).astype(np.float32)
    outputs = []
    for layer in layers_of(model):
        x = layer(x, training=False)
        outputs.append(np.asarray(x)[0])
    return outputs


@pytest.mark.parametrize("source", ["cnn-best", "cnn-fast", "dense-best", "cnn-1",
                                    ConvSpec(blocks=((6, 3), (8, 5)), dense=(12,), batch_norm=True),
                                    DenseSpec(hidden=(20, 10), activation="tanh")], ids=str)
@pytest.mark.parametrize("numpy_forward", [True, False], ids=["numpy", "keras"])
def test_layer_outputs_are_keras_layers_run_one_by_one(source, numpy_forward, mnist, tmp_path):
    model, predictor, _ = saved(source, tmp_path, seed=3)
    if not numpy_forward:
        predictor.forward = None  # as for an uploaded model with layers NumPy does not run
    image = mnist.x_test[7] / np.float32(255)
    steps = inside.layers(predictor, image)
    expected = keras_layer_by_layer(model, image)
    assert [s.name for s in steps] == ["input", *(layer.name for layer in layers_of(model))]
    np.testing.assert_array_equal(steps[0].values, image)
    for step, want in zip(steps[1:], expected):
        assert step.shape == want.shape, step.name
        np.testing.assert_allclose(step.values, want, atol=2e-5, err_msg=step.name)
    summary = steps[-1].summary()
    assert summary["shape"] == [10] and summary["mean"] == pytest.approx(0.1, abs=1e-5)


@pytest.mark.parametrize("name", NETWORKS)
def test_every_preset_network_shows_its_layers_weights_and_features(name, mnist, tmp_path):
    _, predictor, _ = saved(name, tmp_path)
    steps = inside.layers(predictor, mnist.x_test[0] / np.float32(255))
    assert steps[0].shape == (28, 28) and steps[-1].shape == (10,)
    kind, weights = predictor.first_weights()
    first_conv = name.startswith("cnn")
    assert kind == ("filters" if first_conv else "units")
    assert weights.ndim == 3 and (first_conv or weights.shape[1:] == (28, 28))
    features = predictor.features(mnist.x_test[:40] / np.float32(255))  # past NumPy's batch limit
    few = predictor.features(mnist.x_test[:3] / np.float32(255))
    np.testing.assert_allclose(features[:3], few, atol=2e-5)  # TensorFlow and NumPy agree
    assert features.shape[0] == 40 and features.shape[1] == steps[-2].values.size


def test_the_numpy_network_shows_its_hidden_layer(mnist, tmp_path):
    model, predictor, _ = saved("numpy-mlp", tmp_path)
    image = mnist.x_test[1] / np.float32(255)
    steps = inside.layers(predictor, image)
    assert [s.name for s in steps] == ["input", "hidden", "output"]
    np.testing.assert_allclose(steps[1].values, np.maximum(image.reshape(784) @ model.w1, 0), rtol=1e-6)
    kind, weights = predictor.first_weights()
    assert kind == "units" and weights.shape == (40, 28, 28)
    np.testing.assert_array_equal(weights[5], model.w1[:, 5].reshape(28, 28))


def test_a_forest_says_it_has_no_layers(mnist, tmp_path):
    kind = kinds.named("forest")
    forest = kind.build("random-forest", 0)
    kind.train(forest, mnist, TrainConfig(subset=300, validation_split=0.0, kind_settings={"trees": 3}),
               kind.new_recorder(TrainConfig(kind_settings={"trees": 3}), 300, None))
    kind.save(forest, tmp_path / "forest.skops")
    with pytest.raises(NotANetwork, match="a random forest is not a network"):
        inside.layers(predictor_for_file(tmp_path / "forest.skops"), mnist.x_test[0] / np.float32(255))


def test_a_training_image_is_its_own_nearest_neighbour(mnist, tmp_path):
    model, predictor, path = saved("cnn-fast", tmp_path)
    train(model, mnist, TrainConfig(epochs=1, subset=2000, batch_size=100))
    kinds.named("keras").save(model, path)
    predictor = predictor_for_file(path)
    x, y = mnist.x_train[:3000], mnist.y_train[:3000]
    key = file_key(path)
    for i in (0, 1234, 2999):
        found = inside.neighbours(predictor, key, x, y, x[i] / np.float32(255))
        assert found[0].index == i and found[0].distance == pytest.approx(0, abs=0.01)
        assert found[0].label == y[i] and len(found) == inside.NEIGHBOURS
        assert [n.distance for n in found] == sorted(n.distance for n in found)
        assert found[1].distance > 0.05  # the others are not copies of it
    assert list(tmp_path.parent.glob("**/inside/*.index.npz")), "the index is kept on disk"


def test_the_map_is_deterministic_and_kept_per_model_file(mnist, tmp_path):
    _, predictor, path = saved("dense-128", tmp_path)
    key = file_key(path)
    first = inside.test_map(predictor, key, mnist.x_test, mnist.y_test, images=300)
    assert first.xy.shape == (300, 2) and np.isfinite(first.xy).all()
    np.testing.assert_array_equal(first.labels, mnist.y_test[:300])
    inside._memory.clear()  # read back from disk
    again = inside.test_map(predictor, key, mnist.x_test, mnist.y_test, images=300)
    np.testing.assert_array_equal(first.xy, again.xy)
    recomputed = inside.project(predictor.features(mnist.x_test[:300] / np.float32(255)))
    np.testing.assert_allclose(recomputed, first.xy, atol=1e-4)
    # a test image lands where its own dot is
    np.testing.assert_allclose(inside.place(first, first.features[17].astype(np.float32)),
                               first.xy[np.argsort(inside.Index.of(first.features).distances(
                                   first.features[17]))[:inside.PLACE_FROM]].mean(axis=0))


@pytest.mark.parametrize("images", [3, 6, 29])
def test_a_small_sets_few_test_drawings_are_mapped_too(mnist, tmp_path, images):
    """An own set holds out a few drawings: fewer than the 30 dimensions the map first reduces to."""
    _, predictor, path = saved("dense-128", tmp_path)
    m = inside.test_map(predictor, file_key(path), mnist.x_test[:images], mnist.y_test[:images])
    assert m.xy.shape == (images, 2) and np.isfinite(m.xy).all()
    assert inside.place(m, m.features[0].astype(np.float32)).shape == (2,)


def test_a_changed_model_file_gets_a_new_key(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"one")
    first = file_key(path)
    path.write_bytes(b"two!")
    assert file_key(path) != first


def test_the_cache_folder_keeps_the_most_recently_used_files_within_its_bound(mnist, tmp_path, monkeypatch):
    """Models come and go: their indexes and maps are removed least recently used first."""
    monkeypatch.setattr(inside, "KEPT_ON_DISK_BYTES", 1)  # room for the newest file only
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, first, first_path = saved("dense-128", tmp_path / "a")
    _, second, second_path = saved("sigmoid-10", tmp_path / "b")
    inside.test_map(first, file_key(first_path), mnist.x_test, mnist.y_test, images=100)
    kept = list((tmp_path / "inside").glob("*.map.npz"))
    assert len(kept) == 1
    inside.test_map(second, file_key(second_path), mnist.x_test, mnist.y_test, images=100)
    assert [p.name for p in (tmp_path / "inside").glob("*.map.npz")] == [
        f"{file_key(second_path)}-100.map.npz"]
