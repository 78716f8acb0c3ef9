"""Model files made to take a server down, each crafted here in a few lines as anyone could: refused
with one sentence, in bounded time, and this process (the server's stand-in) unharmed. Every file
from outside is also tried once in a process of its own with memory and CPU-time limits
(nn.storage.trial) before it is stored."""

from __future__ import annotations

import time

import pytest

from harness.crafted import (
    broken_forest,
    greedy_network,
    small_forest,
    weights_declared_but_not_written,
    weights_padded,
)
from nn.kinds import registry as kinds
from nn.storage.saved_models import ModelLoadError, ModelStore
from nn.storage.trial import try_model_file


@pytest.fixture(scope="module")
def forest():
    return small_forest()


@pytest.mark.parametrize("break_it, why", [
    (lambda t: t.children_left.__setitem__(0, 10**6), "children do not come after it"),  # a crash
    (lambda t: t.children_left.__setitem__(0, 0), "children do not come after it"),  # a loop
    (lambda t: t.feature.__setitem__(0, 5000), "splits on a pixel"),
])
def test_a_forest_with_broken_trees_is_refused(forest, tmp_path, break_it, why):
    path = broken_forest(forest, tmp_path / "bad.skops", break_it)
    started = time.monotonic()
    with pytest.raises(ModelLoadError, match=f"is not a sound random forest: tree 1 .*{why}"):
        ModelStore(tmp_path / "store").import_file(path, "bad")
    assert time.monotonic() - started < 60
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").iterdir())  # nothing stored


def test_a_keras_file_declaring_gigabytes_of_weights_is_refused_at_once(tmp_path):
    weights_declared_but_not_written(tmp_path / "bomb.keras")  # 1.9 GB declared, nothing written
    assert (tmp_path / "bomb.keras").stat().st_size < 100_000
    started = time.monotonic()
    with pytest.raises(ModelLoadError, match=r"declares 1,907 MB of weights; the limit is 200 MB"):
        ModelStore(tmp_path / "store").import_file(tmp_path / "bomb.keras", "bomb")
    assert time.monotonic() - started < 5


def test_a_keras_file_declaring_more_weights_than_its_layers_hold_is_refused(tmp_path):
    """Under the size cap, but 95 MB declared for a network of 7,850 parameters."""
    weights_padded(tmp_path / "padded.keras")
    with pytest.raises(ModelLoadError, match=r"padded.keras declares 95.4 MB of weights, but its layers have "
                                             r"7,850 parameters \(0.0 MB\)"):
        ModelStore(tmp_path / "store").import_file(tmp_path / "padded.keras", "padded")


def test_on_a_class_server_a_model_larger_than_the_bound_is_refused_on_upload(tmp_path, monkeypatch):
    import keras

    from nn.storage.workspaces import Workspace

    monkeypatch.setenv("DIGITLAB_WORKSPACES", "per-user")
    monkeypatch.setenv("DIGITLAB_MAX_MODEL_PARAMS", "5000")
    keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)]).save(
        tmp_path / "wide.keras")
    store = Workspace("ann").models()
    with pytest.raises(ModelLoadError, match=r"wide.keras has 7,850 parameters; this server takes models "
                                             r"of up to 5,000"):
        store.import_file(tmp_path / "wide.keras", "wide")
    assert store.list() == [info for info in store.list() if info.bundled]


def test_an_upload_answering_other_than_ten_classes_is_refused(tmp_path):
    """A network of five outputs could only be someone's own set's: nothing names its classes, so
    as an MNIST model its fifth answer would be read as a 4 and its sixth would not exist."""
    import keras

    five = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(5, activation="softmax")])
    five.save(tmp_path / "five.keras")
    store = ModelStore(tmp_path / "store")
    with pytest.raises(ModelLoadError, match="answers with 5 classes"):
        store.import_file(tmp_path / "five.keras", "five")
    assert not any((tmp_path / "store").glob("five*"))


def test_a_sound_file_passes_its_trial_and_is_stored(forest, tmp_path):
    path = tmp_path / "good.skops"
    kinds.named("forest").save(forest, path)
    assert try_model_file(path) == {"kind": "forest", "params": kinds.named("forest").params(forest),
                                    "classes": 10}
    info = ModelStore(tmp_path / "store").import_file(path, "good")
    assert info.name == "good" and info.path.exists()


@pytest.mark.slow  # its trial fills 4 GB of address space before it is refused
def test_a_network_whose_answer_needs_more_memory_than_allowed_is_refused_by_its_trial(tmp_path):
    """A small, valid file (a few KB of weights) whose one answer needs about 8 GB: every check of
    the file passes, and only running it tells. Its trial's process runs out; this one does not."""
    greedy_network(tmp_path / "greedy.keras")
    started = time.monotonic()
    with pytest.raises(ModelLoadError, match=r"greedy.keras was refused: trying it needed more than 4 GB "
                                             r"of memory"):
        ModelStore(tmp_path / "store").import_file(tmp_path / "greedy.keras", "greedy")
    assert time.monotonic() - started < 130


def test_the_command_line_refuses_them_too(forest, tmp_path):
    import os
    import subprocess
    import sys

    from nn.storage.paths import REPO_ROOT

    path = broken_forest(forest, tmp_path / "bad.skops", lambda t: t.children_left.__setitem__(0, 10**6))
    out = subprocess.run([sys.executable, "-m", "nn", "evaluate", "--model", str(path)], cwd=REPO_ROOT,
                         env={**os.environ, "DIGITLAB_MODELS_DIR": str(tmp_path / "store")},
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "bad.skops is not a sound random forest: tree 1 has a node whose children" in out.stderr
