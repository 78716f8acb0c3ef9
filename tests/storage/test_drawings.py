"""nn.storage.drawings: the "my drawings" set, and fine-tuning a saved model on it."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from nn.kinds.keras.training import train
from nn.kinds.registry import build
from nn.preprocess import to_mnist
from nn.runs.run_folder import ProgressReader
from nn.runs.scheduler import Scheduler
from nn.runs.store import RunStore, model_metadata
from nn.storage.drawings import DrawingsError, DrawingStore, with_drawings
from nn.storage.paths import runs_dir
from nn.storage.workspaces import LOCAL_WORKSPACE
from nn.training_config import TrainConfig
from tests.conftest import digit_canvas


def test_drawings_round_trip_with_their_labels(tmp_path, mnist):
    drawings = DrawingStore()  # the local workspace's folder (DIGITLAB_DRAWINGS_DIR)
    canvases = [digit_canvas(mnist.x_test[i]) for i in range(3)]
    ids = [drawings.add(c, to_mnist(c), int(mnist.y_test[i]), predicted=9, model="m")
           for i, c in enumerate(canvases)]
    loaded = drawings.load("mnist")
    assert set(loaded.ids) == set(ids)
    assert sorted(loaded.y.tolist()) == sorted(mnist.y_test[:3].tolist())
    assert loaded.x.shape == (3, 28, 28) and loaded.x.dtype == np.uint8
    i = loaded.ids.index(ids[0])
    np.testing.assert_allclose(loaded.x[i] / 255, to_mnist(canvases[0]), atol=1 / 255)
    assert (tmp_path / "drawings" / f"{ids[0]}.png").exists()  # the original is kept too
    assert drawings.count("mnist") == 3 and drawings.count("fashion-mnist") == 0


def test_a_big_photo_is_kept_no_larger_than_the_canvas(tmp_path, mnist):
    from PIL import Image

    photo = np.asarray(Image.fromarray(digit_canvas(mnist.x_test[0], rgba=False)).resize((4000, 3000)))
    drawing_id = DrawingStore(tmp_path).add(np.stack([photo] * 3, axis=-1), to_mnist(photo), 7)
    with Image.open(tmp_path / f"{drawing_id}.png") as kept:
        assert kept.size == (280, 210)  # its shape kept, a 280-pixel canvas's size
    assert DrawingStore(tmp_path).load().y.tolist() == [7]


def test_incomplete_or_broken_entries_are_skipped(tmp_path, mnist):
    drawings = DrawingStore(tmp_path)
    c = digit_canvas(mnist.x_test[0])
    drawings.add(c, to_mnist(c), 7)
    (tmp_path / "orphan-28.png").write_bytes(b"a drawing whose record was never written")
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "missing.json").write_text(json.dumps({"id": "missing", "label": 3}))
    assert drawings.load().y.tolist() == [7] and drawings.count() == 1
    with pytest.raises(DrawingsError, match="label must be 0-9"):
        drawings.add(c, to_mnist(c), 12)


def test_an_unwritable_folder_gives_a_clear_error(tmp_path, mnist):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    c = digit_canvas(mnist.x_test[0])
    with pytest.raises(DrawingsError, match="cannot save the drawing"):
        DrawingStore(blocker / "drawings").add(c, to_mnist(c), 7)


def test_fine_tuning_on_drawings_starts_from_the_saved_weights(tmp_path, mnist):
    store = LOCAL_WORKSPACE.models()
    base = build("dense-128", 0)
    result = train(base, mnist, TrainConfig(epochs=1, subset=2000))
    info = store.save(base, "base", {"preset": "dense-128"})

    drawings = LOCAL_WORKSPACE.drawings()  # where the run's worker finds them
    for i in range(5):
        c = digit_canvas(mnist.x_test[i])
        drawings.add(c, to_mnist(c), int(mnist.y_test[i]))
    mixed = with_drawings(mnist, drawings.load(), repeat=20, replay=1000)
    assert len(mixed.x_train) == 5 * 20 + 1000 and mixed.x_test is mnist.x_test

    run = RunStore(LOCAL_WORKSPACE).submit(info.path, "mnist", TrainConfig(epochs=1, learning_rate=1e-4),
                                        with_drawings=True).run
    scheduler = Scheduler(runs_dir(), slots=1, keep_warm=False, tick=0.2).start()
    try:
        for _ in range(1200):
            if not run.state.active:
                break
            time.sleep(0.1)
    finally:
        scheduler.close()
    status, progress = run.status(), ProgressReader(run.folder).read()
    assert status["state"] == "finished", status
    metadata = model_metadata(run)
    assert metadata["fine_tuned_from"] == "base" and metadata["with_drawings"]
    assert progress.batches_per_epoch == -(-int((5 * 20 + 6000) * 0.9) // 32)
    # Started from the trained weights, not from scratch: already far above chance.
    assert progress.batches[0]["accuracy"] > 0.5
    assert status["test_accuracy"] > result.test_accuracy - 0.05


def test_fine_tuning_without_drawings_fails_with_a_message(tmp_path, mnist):
    empty = DrawingStore(tmp_path / "none").load()
    with pytest.raises(DrawingsError, match="no saved drawings"):
        with_drawings(mnist, empty)
