"""A data set of one's own trains a real Keras network sized to its classes (nn.own_data, the
kinds' `classes`); the kinds that read only ten refuse it with a sentence."""

from __future__ import annotations

import numpy as np
import pytest

from nn.kinds import registry
from nn.kinds.kind import OwnClassesError
from nn.own_data import as_dataset
from nn.storage.own_datasets import DatasetStore
from nn.training_config import TrainConfig
from tests.storage.test_own_datasets import filled


def test_a_preset_learns_three_drawn_shapes_and_answers_three_probabilities(tmp_path):
    shapes, how = as_dataset(filled(DatasetStore(tmp_path), {"Ona": 6, "Jonas": 6}), seed=0)
    kind = registry.of_source("dense-128")
    model = registry.build("dense-128", seed=0, classes=3)
    config = TrainConfig(epochs=30, batch_size=8, learning_rate=3e-3, validation_split=0.0)
    result = kind.train(model, shapes, config, kind.new_recorder(config, len(shapes.x_train), None))
    probabilities = model.predict(shapes.x_test, verbose=0)
    assert probabilities.shape == (len(shapes.x_test), 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert result.test_accuracy >= 0.8, (result.test_accuracy, how)  # a person it never saw


@pytest.mark.parametrize("preset", ["numpy-mlp", "random-forest"])
def test_the_kinds_that_read_ten_classes_refuse_an_own_set_of_three(preset):
    with pytest.raises(OwnClassesError, match="reads ten classes; a set of 3 trains a Keras network"):
        registry.build(preset, seed=0, classes=3)


def test_the_command_line_trains_an_own_set_with_the_small_data_recipe_and_names_its_classes(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from PIL import Image

    from nn.storage.paths import REPO_ROOT
    from tests.storage.test_own_datasets import symbol

    filled(DatasetStore(tmp_path / "drawings"), {"Ona": 6, "Jonas": 6})
    env = {**os.environ, "DIGITLAB_MODELS_DIR": str(tmp_path / "models"),
           "DIGITLAB_DRAWINGS_DIR": str(tmp_path / "drawings")}

    def nn(*args):
        out = subprocess.run([sys.executable, "-m", "nn", *args], cwd=REPO_ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout

    trained = json.loads(nn("train", "--data", "shapes", "--json"))
    assert trained["preset"] == "cnn-fast" and trained["epochs"] == 40  # the recipe for small data
    assert trained["name"] == "cnn-fast-shapes"
    circle = tmp_path / "circle.png"
    Image.fromarray(symbol("circle", 12)).save(circle)
    answer = json.loads(nn("predict", "--model", trained["name"], str(circle), "--json"))
    assert len(answer["probabilities"]) == 3 and answer["class"] == "circle", answer
    assert answer["unfamiliar"] is not None  # measured against the set's own drawings
    listed = next(line for line in nn("models").splitlines() if line.startswith(trained["name"]))
    assert listed.split()[1] == "shapes", listed  # the set by its name, as on the Models page


def test_a_set_starts_from_an_mnist_models_layers_kept_with_a_new_last_layer(tmp_path):
    """`nn train --data NAME --from MODEL --keep-features`: the model's layers, untouched, and a new
    last layer of the set's classes, which alone learned."""
    import json
    import os
    import subprocess
    import sys

    import keras

    from nn.storage.paths import REPO_ROOT
    from nn.storage.saved_models import ModelStore

    filled(DatasetStore(tmp_path / "drawings"), {"Ona": 5, "Jonas": 5})
    env = {**os.environ, "DIGITLAB_MODELS_DIR": str(tmp_path / "models"),
           "DIGITLAB_DRAWINGS_DIR": str(tmp_path / "drawings")}
    args = ["train", "--data", "shapes", "--from", "mnist-dense-128", "--keep-features", "--epochs", "5",
            "--json"]
    out = subprocess.run([sys.executable, "-m", "nn", *args], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    trained = json.loads(out.stdout)
    assert trained["name"] == "mnist-dense-128-shapes" and trained["epochs"] == 5
    store = ModelStore(tmp_path / "models")
    base, made = (keras.models.load_model(store.get(n).path) for n in ("mnist-dense-128", trained["name"]))
    assert made.output_shape == (None, 3)
    kept = [layer for layer in base.layers[:-1] if layer.weights]
    assert kept and all(np.array_equal(layer.get_weights()[0], made.get_layer(layer.name).get_weights()[0])
                        for layer in kept)
