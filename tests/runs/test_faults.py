"""Faults: processes killed mid-save, two processes saving one name, a server killed mid-run.

Everything here is real: subprocesses that save in a loop and get SIGKILL while a save is under
way (each test checks that the kill did land mid-save), two processes released by one barrier
onto the same name, and the app's server killed while one of its workers trains.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.server import kill_app, start_app, stop_app
from nn.runs.store import RunState, RunStore
from nn.storage.drawings import DrawingStore
from nn.storage.paths import REPO_ROOT
from nn.storage.saved_models import ModelStore, StoreError
from nn.storage.workspaces import LOCAL_WORKSPACE
from nn.training_config import TrainConfig
from tests.runs.test_runs import wait_for

SAVE_MODELS = """
import sys
from nn.kinds.registry import build
from nn.storage.saved_models import ModelStore
store = ModelStore(sys.argv[1], bundled_root=None)
model = build("cnn-1")  # 607k parameters: a save takes long enough to be interrupted
first = len(store.list())  # a restarted script goes on after the models already saved
for i in range(first, first + 1000):
    store.save(model, f"m{i}", {"i": i})
"""

SAVE_DRAWINGS = """
import sys
import numpy as np
from nn.storage.drawings import DrawingStore
store = DrawingStore(sys.argv[1])
rng = np.random.default_rng(0)
for i in range(100000):
    store.add(rng.integers(0, 255, (280, 280, 4), dtype=np.uint8), rng.random((28, 28)), i % 10)
"""


def start(script: str, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


def temp_files(folder: Path) -> set[str]:
    """The hidden temp files of saves under way (nn.storage.files.temp_beside)."""
    return {p.name for p in folder.glob(".*")} if folder.is_dir() else set()


def kill_mid_save(script: str, folder: Path, after: int, timeout: float = 60) -> None:
    """Let the script finish `after` saves, then SIGKILL it while a temp file of the next exists,
    and check that the temp file is still there: the kill landed inside that save."""
    folder.mkdir(parents=True, exist_ok=True)
    process = start(script, folder)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            done = len([p for p in folder.glob("*.json") if not p.name.startswith(".")])
            in_flight = temp_files(folder)
            if done >= after and in_flight:
                process.send_signal(signal.SIGKILL)
                process.wait(30)
                if in_flight & temp_files(folder):
                    return
                process = start(script, folder)  # the save finished first: try again
            time.sleep(0.002)
        raise AssertionError("never caught a save under way")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)


def test_a_process_killed_while_saving_models_leaves_every_model_loadable(tmp_path):
    root = tmp_path / "store"
    for round_ in range(3):
        kill_mid_save(SAVE_MODELS, root, after=round_ + 1)
        store = ModelStore(root, bundled_root=None)
        infos = store.list()
        assert infos, "at least the first saves completed"
        for info in infos:
            store.load(info.name)  # every listed model is whole
    assert all(info.name.startswith("m") for info in ModelStore(root, bundled_root=None).list())


def test_a_process_killed_while_saving_drawings_leaves_the_set_readable(tmp_path):
    root = tmp_path / "drawings"
    counts = []
    for round_ in range(3):
        kill_mid_save(SAVE_DRAWINGS, root, after=4 * (round_ + 1))
        loaded = DrawingStore(root).load()
        assert len(loaded.y) == len(loaded.x) == len(loaded.ids)
        counts.append(len(loaded.ids))
    assert counts == sorted(counts) and counts[0] >= 4  # nothing saved before was lost


def save_together(root: str, who: str, barrier, reached) -> None:
    """One of two racing processes: both are released by `barrier` onto the name "same"."""
    import nn.storage.saved_models
    from nn.kinds.registry import build

    real_link = os.link

    def claim(source, target):
        reached.put(who)  # both got as far as claiming the name
        return real_link(source, target)

    nn.storage.saved_models.os.link = claim
    model = build("dense-128")
    store = nn.storage.saved_models.ModelStore(root, bundled_root=None)
    barrier.wait(timeout=60)
    try:
        store.save(model, "same", {"by": who})
        reached.put(f"saved {who}")
    except StoreError as e:
        reached.put(f"refused {who}: {e}")


def test_two_processes_saving_one_name_at_once(tmp_path):
    spawn = multiprocessing.get_context("spawn")
    barrier, reached = spawn.Barrier(2), spawn.Queue()
    processes = [spawn.Process(target=save_together, args=(str(tmp_path), who, barrier, reached))
                 for who in ("a", "b")]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
    said = [reached.get(timeout=5) for _ in range(4)]
    assert sorted(s for s in said if len(s) == 1) == ["a", "b"], said  # both raced to the claim
    outcomes = sorted(s for s in said if len(s) > 1)
    assert len(outcomes) == 2 and outcomes[0].startswith("refused") and outcomes[1].startswith("saved"), said
    assert "a model named 'same' already exists" in outcomes[0]
    store = ModelStore(tmp_path, bundled_root=None)
    assert [i.name for i in store.list()] == ["same"]
    store.load("same")


KILLED_AT_CLAIM = """
import os, sys, time
import nn.storage.saved_models
from nn.kinds.registry import build
from nn.storage.saved_models import ModelStore
store = ModelStore(sys.argv[1], bundled_root=None)
model = build("dense-128")
store.save(model, "before", {})
def stall(*args):
    print("written, not yet claimed", flush=True)
    time.sleep(60)
nn.storage.saved_models.os.link = stall  # the temp files are complete; the name is not yet taken
store.save(model, "interrupted", {})
"""

KILLED_BEFORE_RECORD = """
import os, sys, time
import numpy as np
from nn.storage.drawings import DrawingStore
store = DrawingStore(sys.argv[1])
store.add(np.zeros((28, 28, 4), np.uint8), np.zeros((28, 28)), 3)
real_replace = os.replace
def stall(src, dst):
    if str(dst).endswith(".json"):
        print("images written, record not yet", flush=True)
        time.sleep(60)
    real_replace(src, dst)
os.replace = stall  # every rename, wherever nn does it
store.add(np.zeros((28, 28, 4), np.uint8), np.zeros((28, 28)), 5)
"""


def kill_when_it_says(process: subprocess.Popen, line: str) -> None:
    while True:
        said = process.stdout.readline()
        if not said:  # EOF: the process ended without reaching that point
            raise AssertionError(f"the process exited ({process.wait(30)}) before saying {line!r}")
        if line in said:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def test_killed_between_writing_and_claiming_a_model(tmp_path):
    root = tmp_path / "store"
    kill_when_it_says(start(KILLED_AT_CLAIM, root), "written, not yet claimed")
    store = ModelStore(root, bundled_root=None)
    assert [i.name for i in store.list()] == ["before"]  # the half-saved one does not exist
    store.load("before")
    assert any(p.name.startswith(".interrupted-") for p in root.iterdir())  # the kill was mid-save


def test_killed_between_a_drawings_images_and_its_record(tmp_path):
    root = tmp_path / "drawings"
    kill_when_it_says(start(KILLED_BEFORE_RECORD, root), "images written, record not yet")
    loaded = DrawingStore(root).load()
    assert loaded.y.tolist() == [3]  # the interrupted drawing is not in the set
    assert len(list(root.glob("*-28.png"))) == 2  # its images were written: the kill was mid-save


@pytest.mark.slow
def test_the_server_killed_mid_run_leaves_it_interrupted_and_it_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "app" / "runs"))
    app = start_app(tmp_path / "app")
    try:
        runs = RunStore(LOCAL_WORKSPACE)
        run = runs.submit("dense-128", "mnist", TrainConfig(epochs=6, subset=20_000, batch_size=32)).run
        wait_for(run, lambda s: run.checkpoint_epoch() >= 2, timeout=180)
        kill_app(app)  # the server only: its worker notices and ends, as after a crash
        status = wait_for(run, lambda s: s["state"] != RunState.RUNNING, timeout=180)
        kept = run.checkpoint_epoch()
        assert status["state"] == "interrupted" and kept >= 2, status
    finally:
        stop_app(app)
    waiting = runs.submit("sigmoid-10", "mnist", TrainConfig(epochs=1, subset=1000)).run  # while down
    app = start_app(tmp_path / "app")  # a restart: nobody opens a page
    try:
        # the queue starts with the server
        wait_for(waiting, lambda s: s["state"] == RunState.FINISHED, timeout=180)
        assert run.state is RunState.INTERRUPTED  # until its owner resumes it
        runs.resume(run.id)
        status = wait_for(run, lambda s: not RunState(s["state"]).active, timeout=180)
    finally:
        stop_app(app)
    assert status["state"] == "finished", status
    assert [row["epoch"] for row in run.history()] == [1, 2, 3, 4, 5, 6]
    assert status["resumed"] == 1 and run.model_path.exists()


def test_the_run_watcher_survives_a_full_disk_and_stop_still_works(tmp_path):
    import errno
    import threading

    from nn.runs.worker import RunWatcher

    class FullDisk:  # the run's metrics writer, on a disk with no space left
        folder = tmp_path

        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

    end_early = threading.Event()
    watcher = RunWatcher(FullDisk(), tmp_path / "stop", end_early)
    watcher.start()
    time.sleep(0.3)  # a few failed writes
    (tmp_path / "stop").touch()
    assert end_early.wait(2) and watcher.is_alive()
    watcher.done.set()
    watcher.join(2)
