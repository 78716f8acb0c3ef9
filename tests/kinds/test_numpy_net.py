"""The NumPy network: its gradients, the tutorial's learning curve, its file format, its place in the app."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from nn.inference import make_predictor
from nn.kinds import numpy_net as numpy_mlp
from nn.kinds.numpy_net import NumpyMLP, NumpyModelError, NumpyPredictor
from nn.kinds.registry import build
from nn.presets import PRESETS
from nn.runs.run_folder import ProgressReader
from nn.runs.scheduler import Scheduler
from nn.runs.store import RunStore
from nn.storage.paths import REPO_ROOT, runs_dir
from nn.storage.saved_models import ModelLoadError, ModelStore, StoreError
from nn.storage.workspaces import LOCAL_WORKSPACE
from nn.training_config import ConfigError, TrainConfig
from tests.conftest import digit_canvas

TUTORIAL = TrainConfig.for_preset(PRESETS["numpy-mlp"], seed=1)


def numerical_gradient(model: NumpyMLP, weights: np.ndarray, x, y, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of model.loss with respect to every entry of `weights`."""
    grad = np.zeros_like(weights)
    for index in np.ndindex(weights.shape):
        saved = weights[index]
        weights[index] = saved + eps
        up = model.loss(x, y)
        weights[index] = saved - eps
        down = model.loss(x, y)
        weights[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def tiny_network(seed: int = 0) -> tuple[NumpyMLP, np.ndarray, np.ndarray]:
    """5 hidden units, 4 random images; float64 so that finite differences are exact enough."""
    rng = np.random.default_rng(seed)
    model = NumpyMLP.initial(hidden=5, scale=0.5, seed=seed, dtype=np.float64)
    x = rng.random((4, 784))
    y = np.eye(10)[rng.integers(0, 10, 4)]
    return model, x, y


def test_backpropagation_matches_finite_differences():
    model, x, y = tiny_network()
    g1, g2 = model.gradients(x, y)
    n2 = numerical_gradient(model, model.w2, x, y)
    np.testing.assert_allclose(g2, n2, rtol=1e-5, atol=1e-7)
    # W1 is 784x5: check the rows of 60 pixels that the images light up, all 5 units
    rows = np.arange(0, 784, 13)
    sub = model.w1[rows]
    view = NumpyMLP(sub.copy(), model.w2)
    n1 = numerical_gradient(view, view.w1, x[:, rows], y)
    g1_sub, _ = view.gradients(x[:, rows], y)
    np.testing.assert_allclose(g1_sub, n1, rtol=1e-5, atol=1e-7)
    assert np.abs(g1).sum() > 0 and np.abs(g2).sum() > 0


def test_a_step_goes_downhill_and_per_sample_steps_are_the_tutorial_loop():
    model, x, y = tiny_network(1)
    before = model.loss(x, y)
    model.step(x, y, 0.001)
    assert model.loss(x, y) < before
    # per-sample: the tutorial's `weights += alpha * layer.T.dot(delta)`, one image at a time
    a, _, _ = tiny_network(2)
    b = NumpyMLP(a.w1.copy(), a.w2.copy())
    for i in range(len(x)):
        a.step(x[i:i + 1], y[i:i + 1], 0.005)
        l0 = x[i:i + 1]
        l1 = np.maximum(l0 @ b.w1, 0)
        l2 = l1 @ b.w2
        d2 = y[i:i + 1] - l2
        d1 = d2 @ b.w2.T * (l1 > 0)
        b.w2 += 0.005 * l1.T @ d2
        b.w1 += 0.005 * l0.T @ d1
    np.testing.assert_allclose(a.w1, b.w1)
    np.testing.assert_allclose(a.w2, b.w2)
    # the training loop's per-image steps, which read only the inked pixels' rows, are those steps
    c, _, _ = tiny_network(2)
    x[:, ::3] = 0  # unlit pixels, as in every drawing
    c.step_per_image(x, y, 0.005)
    d, _, _ = tiny_network(2)
    for i in range(len(x)):
        d.step(x[i:i + 1], y[i:i + 1], 0.005)
    np.testing.assert_allclose(c.w1, d.w1, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(c.w2, d.w2, rtol=1e-5, atol=1e-7)


def _curve(history):
    test = np.array([row["test_accuracy"] for row in history])
    train = np.array([row["accuracy"] for row in history])
    return test, train


def assert_tutorial_shape(history):
    """Peaks near 86% early, then overfits: training accuracy near 100%, test accuracy falling."""
    test, train = _curve(history)
    assert len(test) == 350
    peak_at = int(test.argmax())
    assert 0.83 <= test.max() <= 0.90, test.max()
    assert peak_at < 60, peak_at  # early: the tutorial's peak is around iteration 20
    assert train[-1] >= 0.99
    assert test[-1] <= test.max() - 0.02  # overfitting shows
    assert 0.80 <= test[-1] <= 0.87, test[-1]
    assert test[-50:].mean() < test[peak_at:peak_at + 50].mean()  # a trend, not one bad epoch


def test_the_tutorial_loop_reproduces_the_tutorials_curve(mnist):
    model = build("numpy-mlp", seed=1)
    result = numpy_mlp.train(model, mnist, TUTORIAL.with_settings({"per_sample": True}))
    assert_tutorial_shape(result.history)
    assert result.test_accuracy == pytest.approx(result.history[-1]["test_accuracy"])


def test_summed_mini_batches_give_the_same_curve_faster(mnist):
    assert TUTORIAL.batch_size == 32 and not TUTORIAL.kind_settings  # the preset's default
    result = numpy_mlp.train(build("numpy-mlp", seed=1), mnist, TUTORIAL)
    assert_tutorial_shape(result.history)


def test_same_seed_same_weights(mnist):
    config = TrainConfig(**{**TUTORIAL.to_dict(), "epochs": 3})
    a, b = (build("numpy-mlp", seed=5) for _ in range(2))
    numpy_mlp.train(a, mnist, config)
    numpy_mlp.train(b, mnist, config)
    np.testing.assert_array_equal(a.w1, b.w1)
    c = build("numpy-mlp", seed=6)
    assert not np.array_equal(a.w1, c.w1)


def test_the_module_needs_no_tensorflow():
    code = ("import sys, nn.kinds.numpy_net, nn.progress, nn.training_config; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_settings_it_does_not_have_are_refused_before_training(mnist):
    for change, words in (({"optimizer": "adam"}, "sgd optimizer"), ({"augment": True}, "augmentation"),
                          ({"lr_schedule": "cosine"}, "constant learning rate")):
        config = TrainConfig(**{**TUTORIAL.to_dict(), **change})
        with pytest.raises(ConfigError, match=words):
            RunStore(LOCAL_WORKSPACE).submit("numpy-mlp", "mnist", config)
        with pytest.raises(ConfigError, match=words):
            numpy_mlp.train(build("numpy-mlp"), mnist, config)


def test_divergence_is_caught(mnist):
    config = TrainConfig(**{**TUTORIAL.to_dict(), "learning_rate": 5.0, "epochs": 3})
    with pytest.raises(Exception, match="diverged"):
        numpy_mlp.train(build("numpy-mlp"), mnist, config)


# --- in the app's machinery: runs, store, predictions ----------------------------------------------

def test_a_run_trains_it_live_with_weight_pictures_and_stops(mnist):
    config = TUTORIAL.with_settings({"epochs": 500, "per_sample": True})
    runs = RunStore(LOCAL_WORKSPACE)
    run = runs.submit("numpy-mlp", "mnist", config).run
    reader = ProgressReader(run.folder)
    scheduler = Scheduler(runs_dir(), slots=1, keep_warm=False, tick=0.2).start()
    try:
        progress = reader.read()
        for _ in range(600):
            progress = reader.read()
            if progress.epoch >= 2 and progress.hidden_weights is not None:
                break
            time.sleep(0.1)
        first = progress.hidden_weights.copy()
        runs.stop(run.id)
        for _ in range(600):
            if not run.state.active:
                break
            time.sleep(0.1)
    finally:
        scheduler.close()
    status, progress = run.status(), reader.read()
    assert status["state"] == "stopped", status
    assert progress.hidden_weights.shape == (784, 40)
    assert not np.array_equal(first, progress.hidden_weights)  # the pictures changed
    assert "test_accuracy" in progress.history[0] and "val_accuracy" not in progress.history[0]
    assert run.model_path.suffix == ".npmlp" and status["params"] == 784 * 40 + 40 * 10


def test_store_saves_lists_loads_and_deletes_it(tmp_path):
    store = ModelStore(tmp_path, bundled_root=None)
    model = NumpyMLP.initial(seed=3)
    info = store.save(model, "scratch", {"preset": "numpy-mlp", "dataset": "mnist"})
    assert info.path.name == "scratch.npmlp" and info.path.stat().st_size < 200_000
    assert [i.row()["model"] for i in store.list()] == ["numpy-mlp"]
    loaded = store.load("scratch")
    np.testing.assert_array_equal(loaded.w1, model.w1)
    np.testing.assert_array_equal(loaded.w2, model.w2)
    with pytest.raises(StoreError, match="already exists"):
        store.save(NumpyMLP.initial(seed=4), "scratch")
    store.delete("scratch")
    assert store.list() == []


def test_its_predictions_through_the_draw_pipeline_match_its_forward_pass(mnist):
    model = build("numpy-mlp", seed=1)
    numpy_mlp.train(model, mnist, TrainConfig(**{**TUTORIAL.to_dict(), "epochs": 20}))
    predictor = make_predictor(model)
    assert isinstance(predictor, NumpyPredictor)
    for i in range(20):
        canvas = digit_canvas(mnist.x_test[i], size=120 + 4 * i, at=(5 + 3 * i, 10 + 2 * i))
        image28, prediction = predictor.predict_image(canvas)
        _, out = model.forward(image28.reshape(1, 784))
        assert prediction.label == int(out.argmax())
        expected = np.maximum(out[0], 0) / np.maximum(out[0], 0).sum()
        np.testing.assert_allclose(prediction.probabilities, expected, rtol=1e-5, atol=1e-6)
        assert predictor.saliency(image28).shape == (28, 28)
    # and its accuracy on the test set is its own: 20 epochs on 1,000 images
    p = predictor.probabilities(mnist.x_test / 255.0)
    assert 0.82 < float((p.argmax(axis=1) == mnist.y_test).mean()) < 0.9


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _write(path, entries: dict) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)


GOOD_META = json.dumps({"format": "digitlab-numpy-mlp", "version": 1, "hidden": 40})


@pytest.mark.parametrize("entries, words", [
    ({"format.json": GOOD_META, "w1.npy": _npy(np.array([{"x": 1}], dtype=object)),
      "w2.npy": _npy(np.zeros((40, 10), np.float32))}, "damaged"),  # a pickled object array
    ({"format.json": GOOD_META, "w1.npy": _npy(np.zeros((784, 41), np.float32)),
      "w2.npy": _npy(np.zeros((40, 10), np.float32))}, "expected float"),
    ({"format.json": GOOD_META, "w1.npy": _npy(np.full((784, 40), np.nan, np.float32)),
      "w2.npy": _npy(np.zeros((40, 10), np.float32))}, "NaN"),
    ({"format.json": GOOD_META, "w1.npy": _npy(np.zeros((784, 40), np.int64)),
      "w2.npy": _npy(np.zeros((40, 10), np.float32))}, "expected float"),
    ({"format.json": json.dumps({"format": "other", "version": 1, "hidden": 40}),
      "w1.npy": b"", "w2.npy": b""}, "damaged|not a version"),
    ({"format.json": GOOD_META, "w1.npy": b"x", "w2.npy": b"y", "evil.py": b"import os"},
     "expected format.json"),
    ({"format.json": b"{not json", "w1.npy": b"", "w2.npy": b""}, "damaged"),
])
def test_bad_npmlp_files_are_refused_with_a_reason(tmp_path, entries, words):
    path = tmp_path / "bad.npmlp"
    _write(path, entries)
    with pytest.raises(ModelLoadError, match=words):
        ModelStore(tmp_path, None).load(str(path))


def test_a_zip_bomb_and_non_zip_files_are_refused(tmp_path):
    bomb = tmp_path / "bomb.npmlp"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("format.json", GOOD_META)
        archive.writestr("w1.npy", b"\0" * (200 * 2**20))
        archive.writestr("w2.npy", b"")
    assert bomb.stat().st_size < 2**20
    with pytest.raises(NumpyModelError, match="unpacks to more"):
        numpy_mlp.load(bomb)
    text = tmp_path / "text.npmlp"
    text.write_text("hello")
    with pytest.raises(NumpyModelError, match="not a Digit Lab NumPy model"):
        numpy_mlp.load(text)
