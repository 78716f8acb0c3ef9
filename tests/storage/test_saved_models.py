"""nn.storage.saved_models: round trip, refusal to overwrite, atomic writes, safe loading."""

from __future__ import annotations

import json
import threading
import zipfile

import keras
import numpy as np
import pytest

from nn.kinds.registry import build, load_model_file
from nn.storage.saved_models import ModelLoadError, ModelStore, StoreError


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "store", bundled_root=tmp_path / "bundled")


@pytest.fixture(scope="module")
def small_model():
    return build("sigmoid-10", 0)


def test_round_trip_keeps_weights_and_metadata(store, small_model):
    info = store.save(small_model, "tiny", {"preset": "sigmoid-10", "dataset": "mnist",
                                             "history": [{"epoch": 1, "loss": 0.5}]})
    assert info.path.name == "tiny.keras" and info.path.with_suffix(".json").exists()
    loaded = store.load("tiny")
    x = np.random.default_rng(1).random((4, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(loaded(x), small_model(x), atol=1e-6)
    meta = store.get("tiny").metadata
    assert meta["preset"] == "sigmoid-10" and meta["history"][0]["loss"] == 0.5
    assert meta["keras_version"] == keras.__version__ and meta["created"]
    assert [i.name for i in store.list()] == ["tiny"]


def test_an_existing_name_is_refused_and_unique_name_numbers_it(store, small_model):
    store.save(small_model, "same", {})
    with pytest.raises(StoreError, match="already exists"):
        store.save(small_model, "same", {})
    assert store.unique_name("same") == "same-2"


def test_two_saves_under_one_name_at_once_leave_one_intact_model(store, small_model):
    outcomes = []

    def save():
        try:
            store.save(small_model, "race", {"dataset": "mnist"})
            outcomes.append("saved")
        except StoreError:
            outcomes.append("refused")

    threads = [threading.Thread(target=save) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["refused", "saved"]
    store.load("race")
    assert not [p for p in store.root.iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_failing_save_leaves_nothing_behind(store, small_model, monkeypatch):
    store.save(small_model, "before", {})

    def broken_save(path, *args, **kwargs):
        open(path, "wb").write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(small_model, "save", broken_save)
    with pytest.raises(StoreError, match="No space left"):
        store.save(small_model, "after", {})
    assert sorted(p.name for p in store.root.iterdir()) == ["before.json", "before.keras"]
    store.load("before")


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", "", ".hidden", "x" * 65, "a b"])
def test_names_with_path_tricks_are_refused(store, small_model, name):
    with pytest.raises(StoreError, match="invalid model name"):
        store.save(small_model, name, {})


def test_bundled_models_are_listed_read_only(tmp_path, small_model):
    bundled = ModelStore(tmp_path / "bundled", bundled_root=None)
    bundled.save(small_model, "shipped", {"dataset": "mnist"})
    store = ModelStore(tmp_path / "store", bundled_root=tmp_path / "bundled")
    store.save(small_model, "mine", {})
    assert [(i.name, i.bundled) for i in store.list()] == [("shipped", True), ("mine", False)]
    with pytest.raises(StoreError, match="cannot be deleted"):
        store.delete("shipped")
    with pytest.raises(StoreError, match="bundled model"):
        store.save(small_model, "shipped", {})
    store.delete("mine")
    assert [i.name for i in store.list()] == ["shipped"]


def test_unknown_model_names_the_known_ones(store, small_model):
    store.save(small_model, "known", {})
    with pytest.raises(StoreError, match="no model named 'other'; saved models: known"):
        store.get("other")


def test_safe_mode_refuses_a_model_with_code(tmp_path):
    inputs = keras.Input((28, 28))
    outputs = keras.layers.Dense(10, activation="softmax")(
        keras.layers.Lambda(lambda t: keras.ops.reshape(t, (-1, 784)) * 2.0)(inputs))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ModelLoadError, match="contains code"):
        load_model_file(path)


@pytest.mark.parametrize("shape_in, units, message", [
    ((32, 32), 10, "expected 28x28 images"),
    ((28, 28), 25, r"expected 10 classes \(or 2 to 20"),
    ((28, 28), 1, "expected 10 classes"),
])
def test_wrong_input_or_output_shape_is_refused(tmp_path, shape_in, units, message):
    inputs = keras.Input(shape_in)
    model = keras.Model(inputs, keras.layers.Dense(units)(keras.layers.Flatten()(inputs)))
    path = tmp_path / "wrong.keras"
    model.save(path)
    with pytest.raises(ModelLoadError, match=message):
        load_model_file(path)


def test_files_that_are_not_models_are_refused_before_keras_reads_them(tmp_path, store):
    empty = tmp_path / "empty.keras"
    empty.write_bytes(b"")
    noise = tmp_path / "noise.keras"
    noise.write_bytes(np.random.default_rng(0).bytes(5000))
    other_zip = tmp_path / "other.keras"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.txt", "hello")
    broken_config = tmp_path / "broken.keras"
    with zipfile.ZipFile(broken_config, "w") as z:
        z.writestr("config.json", "{not json")
        z.writestr("model.weights.h5", b"")
        z.writestr("metadata.json", json.dumps({"keras_version": "3.0"}))
    for path, message in [(empty, "is empty"), (noise, "not a Keras model file"),
                          (other_zip, "not a Keras model"),
                          (broken_config, "weights file is unreadable|could not be loaded")]:
        with pytest.raises(ModelLoadError, match=message):
            store.import_file(path, "upload")
    assert store.list() == []


def test_a_good_upload_is_stored_with_its_metadata(tmp_path, store, small_model):
    upload = tmp_path / "from-elsewhere.keras"
    small_model.save(upload)
    info = store.import_file(upload, "uploaded", {"dataset": "fashion-mnist"})
    assert info.metadata["uploaded"] is True and info.metadata["dataset"] == "fashion-mnist"
    assert info.metadata["params"] == 7_960
    assert store.get("uploaded").row()["model"] == "uploaded"
    store.load("uploaded")


def test_the_active_model_is_kept_until_it_is_gone(tmp_path, small_model):
    store = ModelStore(tmp_path / "store", bundled_root=tmp_path / "bundled")
    assert store.active_name() is None
    with pytest.raises(StoreError, match="no models yet"):
        store.resolve(None)
    store.save(small_model, "first", {"dataset": "mnist"})
    store.save(small_model, "second", {"dataset": "mnist"})
    assert store.active_name() == "first"  # no bundled default here: the first
    store.make_active("second")
    again = ModelStore(tmp_path / "store", bundled_root=tmp_path / "bundled")  # a reload, another tab
    assert again.active_name() == "second" and again.resolve(None).name == "second"
    with pytest.raises(StoreError, match="no model named"):
        again.make_active("missing")
    assert again.active_name() == "second"
    again.delete("second")
    assert again.active_name() == "first"
