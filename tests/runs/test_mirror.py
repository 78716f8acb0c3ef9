"""A run trained in one folder and mirrored, change by change, into its folder in the run store (as
a cluster node's copy is, nn.runs.mirror): the two end the same, and the store's copy is whole at
every step."""

from __future__ import annotations

import shutil
import threading

from nn.runs.mirror import FolderChanges, apply
from nn.runs.run_folder import BATCHES_FILE, LOCK_FILE, RUN_FILE, read_lines
from nn.runs.store import Run, RunState, RunStore
from nn.runs.worker import execute
from nn.storage.locks import Lock
from nn.storage.workspaces import LOCAL_WORKSPACE
from nn.training_config import TrainConfig


def files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()
            if p.is_file() and p.name not in (LOCK_FILE, RUN_FILE) and not p.name.startswith(".")}


def test_a_mirrored_run_ends_identical_and_is_whole_at_every_step(tmp_path, mnist):
    stored = RunStore(LOCAL_WORKSPACE).submit(
        "dense-128", "mnist", TrainConfig(epochs=4, subset=6000, batch_size=20)).run
    node = Run(shutil.copytree(stored.folder, tmp_path / "node" / stored.id))
    assert Lock(node.lock_path).acquire()
    changes = FolderChanges(node.folder)
    trainer = threading.Thread(target=execute, args=(node, "elsewhere"))
    trainer.start()
    seen_steps = 0
    while trainer.is_alive():
        trainer.join(0.1)
        apply(stored.folder, changes.collect())
        steps = [row["step"] for row in read_lines(stored.folder / BATCHES_FILE)]
        assert steps == list(range(1, len(steps) + 1))  # whole lines, in order, none twice
        seen_steps = max(seen_steps, len(steps))
        pointer = stored.checkpoint() if (stored.folder / "checkpoint.json").exists() else None
        if (stored.folder / "checkpoint.json").exists():
            assert pointer is not None  # a pointer never names a checkpoint that has not arrived
    apply(stored.folder, changes.collect())
    assert files(stored.folder) == files(node.folder)
    assert stored.status()["state"] == RunState.FINISHED and stored.model_path.exists()
    assert 0 < seen_steps and stored.status()["executed_on"] == "elsewhere"
