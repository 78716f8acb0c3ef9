"""Faults: processes killed mid-save, two processes saving one name, memory across trainings.

The killed processes are real: a subprocess saves in a loop and gets SIGKILL at a random moment.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

from nn.drawings import DrawingStore
from nn.jobs import JobState, TrainingJob
from nn.paths import REPO_ROOT
from nn.store import ModelStore
from nn.training import TrainConfig

SAVE_MODELS = """
import sys
from nn.models import build_model
from nn.store import ModelStore
store = ModelStore(sys.argv[1], bundled_root=None)
model = build_model("cnn-1")  # 607k parameters: a save takes long enough to be interrupted
for i in range(1000):
    print(i, flush=True)
    store.save(model, f"m{i}", {"i": i})
"""

SAVE_DRAWINGS = """
import sys
import numpy as np
from nn.drawings import DrawingStore
store = DrawingStore(sys.argv[1])
rng = np.random.default_rng(0)
for i in range(100000):
    print(i, flush=True)
    store.add(rng.integers(0, 255, (280, 280, 4), dtype=np.uint8), rng.random((28, 28)), i % 10)
"""


def start(script: str, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


def kill_after_some_saves(process: subprocess.Popen, saves: int, rng: random.Random) -> None:
    for _ in range(saves):
        process.stdout.readline()
    time.sleep(rng.uniform(0.0, 0.3))  # somewhere inside the next save
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def test_a_process_killed_while_saving_models_leaves_every_model_loadable(tmp_path):
    rng = random.Random(1)
    root = tmp_path / "store"
    for _ in range(4):
        kill_after_some_saves(start(SAVE_MODELS, root), saves=2, rng=rng)
        store = ModelStore(root, bundled_root=None)
        infos = store.list()
        assert infos, "at least the first saves completed"
        for info in infos:
            store.load(info.name)  # every listed model is whole
    # The survivors are named as the killed processes numbered them, nothing else is listed.
    assert all(info.name.startswith("m") for info in ModelStore(root, bundled_root=None).list())


def test_a_process_killed_while_saving_drawings_leaves_the_set_readable(tmp_path):
    rng = random.Random(2)
    root = tmp_path / "drawings"
    counts = []
    for _ in range(4):
        kill_after_some_saves(start(SAVE_DRAWINGS, root), saves=5, rng=rng)
        loaded = DrawingStore(root).load()
        assert len(loaded.y) == len(loaded.x) == len(loaded.ids)
        counts.append(len(loaded.ids))
    assert counts == sorted(counts) and counts[0] >= 4  # nothing saved before was lost


def test_two_processes_saving_one_name_at_once(tmp_path):
    root = tmp_path / "store"
    script = """
        import sys, time
        from nn.models import build_model
        from nn.store import ModelStore, StoreError
        model = build_model("dense-128")
        store = ModelStore(sys.argv[1], bundled_root=None)
        time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # both start saving together
        try:
            store.save(model, "same", {"by": sys.argv[3]})
            print("saved")
        except StoreError as e:
            print("refused:", e)
    """
    go = time.time() + 15
    processes = [start(script, root, go, who) for who in ("a", "b")]
    outputs = sorted(p.communicate(timeout=120)[0].strip() for p in processes)
    assert outputs[0].startswith("refused: a model named 'same' already exists"), outputs
    assert outputs[1] == "saved", outputs
    store = ModelStore(root, bundled_root=None)
    assert [i.name for i in store.list()] == ["same"]
    store.load("same")


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def test_memory_stays_flat_across_ten_trainings():
    readings = []
    for _ in range(10):
        job = TrainingJob("cnn-2", "mnist", TrainConfig(epochs=1, subset=1000, batch_size=64)).start()
        final = job.wait(180)
        assert final.state is JobState.FINISHED, final.message
        del job
        readings.append(rss_mb())
    # After the first job (imports, first model loaded back), the app's process does not grow.
    assert readings[-1] - readings[1] < 25, readings


KILLED_AT_CLAIM = """
import os, sys, time
import nn.store
from nn.models import build_model
from nn.store import ModelStore
store = ModelStore(sys.argv[1], bundled_root=None)
model = build_model("dense-128")
store.save(model, "before", {})
def stall(*args):
    print("written, not yet claimed", flush=True)
    time.sleep(60)
nn.store.os.link = stall  # the temp files are complete; the name is not yet taken
store.save(model, "interrupted", {})
"""

KILLED_BEFORE_RECORD = """
import os, sys, time
import numpy as np
from nn.drawings import DrawingStore
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
