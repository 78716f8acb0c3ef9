"""The random forest, Digit Lab's third kind of model: real scikit-learn on real MNIST subsets."""

from __future__ import annotations

import io
import pickle
import time
import zipfile

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from nn.evaluation import predict_split
from nn.kinds import registry as kinds
from nn.kinds.forest import TREES_PER_STEP, ForestPredictor
from nn.presets import PRESETS
from nn.runs.run_folder import ProgressReader
from nn.runs.scheduler import Scheduler
from nn.runs.store import RunStore
from nn.storage.paths import runs_dir
from nn.storage.saved_models import ModelLoadError, ModelStore
from nn.storage.workspaces import LOCAL_WORKSPACE
from nn.training_config import ConfigError, TrainConfig

FOREST = kinds.named("forest")


def small(**overrides) -> TrainConfig:
    return TrainConfig.for_preset(PRESETS["random-forest"], **{"subset": 3000, "trees": 12, **overrides})


def grown(mnist, **overrides):
    config = small(**overrides)
    model = FOREST.build("random-forest", 0)
    recorder = FOREST.new_recorder(config, config.training_images(), None)
    return model, FOREST.train(model, mnist, config, recorder), recorder


def test_it_grows_its_trees_a_few_at_a_time_and_scores_as_scikit_learn_does(mnist):
    model, result, recorder = grown(mnist)
    assert len(model.estimators_) == 12 and recorder.progress.batches_per_epoch == 12 // TREES_PER_STEP
    steps = recorder.snapshot().batches
    assert [b["step"] for b in steps] == [1, 2, 3]
    assert steps[-1]["accuracy"] > steps[0]["accuracy"] - 0.02 and steps[-1]["accuracy"] > 0.8
    x = mnist.x_test.reshape(-1, 784) / np.float32(255)
    assert result.test_accuracy == pytest.approx((model.predict(x) == mnist.y_test).mean(), abs=1e-4)
    history = result.history[0]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history)


def test_its_settings_are_checked():
    with pytest.raises(ConfigError, match="grown in one pass"):
        RunStore(LOCAL_WORKSPACE).submit("random-forest", "mnist", small(epochs=3))
    with pytest.raises(ConfigError, match="trees must be"):
        RunStore(LOCAL_WORKSPACE).submit("random-forest", "mnist", small(trees=0))


def test_a_run_shows_progress_over_its_trees_and_stop_keeps_those_grown(mnist):
    runs = RunStore(LOCAL_WORKSPACE)
    run = runs.submit("random-forest", "mnist", small(subset=20_000, trees=200)).run
    scheduler = Scheduler(runs_dir(), slots=1, keep_warm=False, tick=0.2).start()
    try:
        reader = ProgressReader(run.folder)
        while not reader.read().batches:
            time.sleep(0.1)
        runs.stop(run.id)
        while run.state.active:
            time.sleep(0.1)
    finally:
        scheduler.close()
    status, progress = run.status(), reader.read()
    assert status["state"] == "stopped", status
    model = FOREST.load(run.model_path)
    assert TREES_PER_STEP <= len(model.estimators_) < 200
    assert len(progress.batches) * TREES_PER_STEP == len(model.estimators_)
    assert status["params"] == FOREST.params(model) > 0 and status["test_accuracy"] > 0.5


def test_it_is_stored_loaded_and_predicted_like_any_model(mnist, tmp_path):
    model, result, _ = grown(mnist)
    store = ModelStore(tmp_path, bundled_root=None)
    info = store.save(model, "trees", {"preset": "random-forest", "dataset": "mnist"})
    assert info.path.suffix == ".skops" and info.kind is FOREST
    loaded = store.load("trees")
    predictor = kinds.of_model(loaded).predictor(loaded)
    assert isinstance(predictor, ForestPredictor)
    x = mnist.x_test[:200]
    np.testing.assert_allclose(predictor.probabilities(x / np.float32(255)),
                               model.predict_proba(x.reshape(-1, 784) / np.float32(255)), atol=1e-6)
    accuracy = predict_split(predictor, mnist.x_test, mnist.y_test).accuracy
    assert accuracy == pytest.approx(result.test_accuracy, abs=1e-4)
    where = predictor.saliency(x[0] / np.float32(255))
    assert where.shape == (28, 28) and where.max() == 1.0 and where[:2, :2].max() == 0  # never the corners


def skops_with(tmp_path, obj) -> bytes:
    import skops.io

    path = tmp_path / "x.skops"
    skops.io.dump(obj, path)
    return path.read_bytes()


@pytest.mark.parametrize("what, words", [
    ("pickle", "could not be read|not a"),
    ("other estimator", "not a random forest|types that are not"),
    ("wrong shape", "28x28 images"),
    ("not a zip", "not a Digit Lab random forest"),
])
def test_files_that_are_not_a_forest_are_refused(tmp_path, mnist, what, words):
    from sklearn.linear_model import LogisticRegression

    path = tmp_path / "upload.skops"
    if what == "pickle":
        payload = io.BytesIO()
        with zipfile.ZipFile(payload, "w") as archive:
            archive.writestr("schema.json", '{"__class__": "builtins.eval"}')
            archive.writestr("evil.pkl", pickle.dumps({"x": 1}))
        path.write_bytes(payload.getvalue())
    elif what == "other estimator":
        path.write_bytes(skops_with(tmp_path, LogisticRegression().fit(np.eye(4), [0, 1, 2, 3])))
    elif what == "wrong shape":
        five_pixels = np.random.default_rng(0).random((20, 5))
        forest = RandomForestClassifier(n_estimators=2).fit(five_pixels, np.arange(20) % 10)
        path.write_bytes(skops_with(tmp_path, forest))
    else:
        path.write_text("trees")
    with pytest.raises(ModelLoadError, match=words):
        ModelStore(tmp_path / "store", bundled_root=None).import_file(path, "upload")
