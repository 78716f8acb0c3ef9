"""A training worker: a process that trains runs, one at a time, and writes everything to their
folders.

The queue (nn.runs.run_queue) starts workers ahead of time: a warm worker has imported TensorFlow and
loaded MNIST before any run is given to it, so pressing Train shows the first batch in about a
second instead of the ten it takes to start a process. A worker then trains run after run: a
fresh process also spends seconds on its first fit (one-epoch dense-128: 7.7 s, then 3.9-4.8 s
for each next one, with the same weights for the same seed). TensorFlow keeps about 20 MB of
traced graphs after every fit, even after clear_session(), so a worker retires once it has grown
by RETIRE_AFTER_GROWTH_MB since its first run (or after a run that failed), and the process's end
returns that memory; the queue starts another.

A worker claims its run by taking the run's lock and one of the machine's training slots (both
flocks, released by the kernel when the process ends, however it ends). It ends itself when the
process that started it goes away, so a run never trains on as an orphan: its state then says
"running" with nobody holding its lock, which readers see as interrupted.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
import time
import traceback
from pathlib import Path

from nn import data as data_module
from nn import own_data, words
from nn.errors import DigitLabError
from nn.kinds import registry as kinds
from nn.runs.run_folder import (
    BATCHES_FILE,
    CHECKPOINT_FILE,
    EPOCHS_FILE,
    STOP_FILE,
    ProgressWriter,
    read_lines,
    rewrite_lines,
    write_json,
)
from nn.runs.store import Run, RunState, run_time_limit
from nn.storage.files import temp_beside, write_atomic
from nn.storage.locks import Lock
from nn.storage.workspaces import Workspace

FLUSH_EVERY = 0.1  # seconds between writes of new metrics to the run's folder
NICENESS = 10  # training is batch work: pages and drawings' answers get the CPU first
CHECKPOINT_EVERY = 1.0  # at most one checkpoint a second (fast epochs would spend their time saving)
SLOTS_FOLDER = ".slots"
RETIRE_AFTER_GROWTH_MB = 250  # about a dozen one-epoch runs' traced graphs

_datasets: dict[str, data_module.Dataset] = {}  # kept in memory for the run this worker gets


def dataset(name: str) -> data_module.Dataset:
    if name not in _datasets:
        _datasets[name] = data_module.load(name)
    return _datasets[name]


def holds_dataset(name: str) -> bool:
    return name in _datasets


# Each kind's smallest preset, trained briefly at warm-up and timed (a fraction of a second): how
# fast this machine trains that kind now (nn.runs.pace.KIND_WARM_UP_SECONDS). Settings by name.
WARM_UP_FITS = {
    "keras": ("sigmoid-10", {"epochs": 1, "subset": 512, "batch_size": 128, "validation_split": 0.0}),
    "forest": ("random-forest", {"subset": 5000, "trees": 10, "validation_split": 0.0}),
    "numpy": ("numpy-mlp", {"epochs": 20, "subset": 500, "validation_split": 0.0}),
}


def warm_up(datasets: tuple[str, ...] = ("mnist",)) -> dict[str, float] | None:
    """Import what training needs, load the data and train a tiny model of each kind once, before
    any run arrives: a process's first fit also starts TensorFlow's runtime, and a first epoch is
    slower cold. Returns the seconds each kind's fit took, which vary little from one process to
    the next (bench/RESULTS.md: the estimates): how fast this machine trains now."""
    import keras  # noqa: F401 - imports TensorFlow too: the slow part of starting

    for name in datasets:
        try:
            dataset(name)
        except data_module.DataError:
            pass  # not cached yet: the run fetches it, with a message
    if "mnist" not in _datasets:
        return None
    from nn.presets import preset as preset_of
    from nn.training_config import TrainConfig

    timed = {}
    for kind_name, (preset, settings) in WARM_UP_FITS.items():
        kind = kinds.named(kind_name)
        config = TrainConfig.for_preset(preset_of(preset)).with_settings(settings)
        start = time.perf_counter()
        kind.train(kind.build(preset, 0), _datasets["mnist"], config,
                   kind.new_recorder(config, settings["subset"], threading.Event()))
        timed[kind_name] = time.perf_counter() - start
    return timed


# --- claiming ------------------------------------------------------------------------------------

class Claim:
    """The locks of a run being trained: the run's own and a training slot."""

    def __init__(self, run: Run, run_lock: Lock, slot_lock: Lock):
        self.run, self.run_lock, self.slot_lock = run, run_lock, slot_lock

    def release(self) -> None:
        self.slot_lock.release()
        self.run_lock.release()


def claim(run: Run, runs_root: Path, slots: int) -> Claim | None:
    """Take the run (if it is still queued) and a free training slot, or nothing."""
    run_lock = Lock(run.lock_path)
    if not run_lock.acquire():
        return None
    if run.state is not RunState.QUEUED:
        run_lock.release()
        return None
    folder = Path(runs_root) / SLOTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(slots):
        slot_lock = Lock(folder / f"slot-{i}")
        if slot_lock.acquire():
            return Claim(run, run_lock, slot_lock)
    run_lock.release()
    return None


# --- training a run ----------------------------------------------------------------------------

def where() -> str:
    return f"{socket.gethostname()} (process {os.getpid()})"


class RunWatcher(threading.Thread):
    """A training's watch, every FLUSH_EVERY seconds: copies its new metrics to disk, notices a
    stop request (the run folder's STOP_FILE), and stops it once it has trained `time_limit` s."""

    def __init__(self, writer: ProgressWriter, stop_file: Path, end_early: threading.Event,
                 time_limit: float | None = None):
        super().__init__(name="digitlab-run-watcher", daemon=True)
        self.writer, self.stop_file, self.end_early = writer, stop_file, end_early
        self.time_limit, self.timed_out = time_limit, False
        self.done = threading.Event()
        self.lock = threading.Lock()

    def flush(self) -> None:
        with self.lock:
            self.writer.flush()

    def run(self) -> None:
        failing = False
        while not self.done.wait(FLUSH_EVERY):
            if self.stop_file.exists():
                self.end_early.set()
            if self.time_limit and self.writer.recorder.progress.elapsed >= self.time_limit:
                self.timed_out = True
                self.end_early.set()
            try:
                self.flush()
                failing = False
            except OSError as e:  # a full disk: keep training and noticing Stop, write when it can
                if not failing:
                    print(f"digitlab: cannot write the metrics of {self.writer.folder}: {e}", flush=True)
                failing = True

    def finish(self) -> None:
        self.done.set()
        self.join()
        self.flush()


class Checkpointer:
    """After a finished epoch: the model (with its optimizer) to checkpoint-<epoch>, then the pointer."""

    def __init__(self, run: Run, kind: kinds.Kind, watcher: RunWatcher, recorder):
        self.run, self.kind, self.watcher, self.recorder = run, kind, watcher, recorder
        self.last = time.monotonic()

    def __call__(self, epoch: int, model) -> None:
        final = epoch == self.run.spec.config.epochs
        if final or time.monotonic() - self.last < CHECKPOINT_EVERY:
            return  # the final model is saved anyway; fast epochs are checkpointed once a second
        self.watcher.flush()  # the epochs' rows are on disk before the pointer names the epoch
        name = f"checkpoint-{epoch}{self.kind.suffix}"
        os.replace(temp_beside(self.run.folder / name, lambda p: self.kind.save_checkpoint(model, p)),
                   self.run.folder / name)
        previous = self.run.checkpoint()
        write_json(self.run.folder / CHECKPOINT_FILE,
                   {"epoch": epoch, "file": name, "elapsed": self.recorder.progress.elapsed})
        if previous and previous["file"] != name:
            (self.run.folder / previous["file"]).unlink(missing_ok=True)
        self.last = time.monotonic()


def training_data(run: Run, drawings=None) -> data_module.Dataset:
    """The run's data set, with the person's drawings mixed in when it fine-tunes on them (those
    given, on a cluster node, or else those in their workspace). An own set: given split, on a
    cluster node, or else read from the workspace and split."""
    spec = run.spec
    if own_data.is_own(spec.dataset):  # read afresh each time: people add to their sets
        images, how = drawings or own_data.as_dataset(
            own_data.own_set(Workspace(spec.workspace), spec.dataset), spec.config.seed)
        run.write_status(tested_on=f"{words.count(len(images.y_test), 'drawing')}, {how}")
        return images
    images = dataset(spec.dataset)
    if not spec.with_drawings:
        return images
    from nn.storage.drawings import with_drawings

    return with_drawings(images, drawings or Workspace(spec.workspace).drawings().load(spec.dataset))


def _start_model(run: Run, kind: kinds.Kind, recorder, classes: int = 10):
    """The model to train (answering `classes` classes) and the epoch it starts from: a
    checkpoint when resuming."""
    pointer = run.checkpoint() if run.status().get("resumed") else None
    if pointer is None:
        for name in (BATCHES_FILE, EPOCHS_FILE, CHECKPOINT_FILE):
            (run.folder / name).unlink(missing_ok=True)
        return kind.build(run.spec.source, run.spec.config.seed, classes), 0
    epoch = pointer["epoch"]
    history = [row for row in read_lines(run.folder / EPOCHS_FILE) if row["epoch"] <= epoch]
    batches = [row for row in read_lines(run.folder / BATCHES_FILE) if row["epoch"] <= epoch]
    rewrite_lines(run.folder / EPOCHS_FILE, history)  # drop the epoch the interruption cut short
    rewrite_lines(run.folder / BATCHES_FILE, batches)
    recorder.resume_from(history, batches, pointer.get("elapsed", 0.0))
    return kind.load_checkpoint(run.folder / pointer["file"]), epoch


def execute(run: Run, executed_on: str | None = None, alongside: int = 1, drawings=None,
            time_limit: float | None = None, **status) -> None:
    """Train `run` to its end, whatever happens; the caller holds its claim. `alongside`: how many
    runs train at once with it (itself included), for the queue's estimates; `time_limit`: the
    seconds it may train (nn.runs.store.run_time_limit); `status`: more to record in its state."""
    spec, started = run.spec, time.time()
    run.write_status(state=RunState.PREPARING, message=f"loading {spec.dataset}", started_at=started,
                     executed_on=executed_on or where(), alongside=alongside, **status)
    try:
        kind = kinds.of_source(spec.source)
        images = training_data(run, drawings)
        spec.config.check(train_size=len(images.x_train))
        run.write_status(message=words.term("building the model"))  # the app translates it
        end_early = threading.Event()
        recorder = kind.new_recorder(spec.config, spec.config.training_images(len(images.x_train)),
                                     end_early)
        model, initial_epoch = _start_model(run, kind, recorder, len(images.class_names))
        watcher = RunWatcher(ProgressWriter(run.folder, recorder, len(recorder.progress.batches),
                                         len(recorder.progress.history)), run.folder / STOP_FILE, end_early,
                          time_limit)
        run.write_status(state=RunState.RUNNING, message="training")
        watcher.start()
        try:
            result = kind.train(model, images, spec.config, recorder, initial_epoch=initial_epoch,
                                on_epoch_end=Checkpointer(run, kind, watcher, recorder))
        finally:
            watcher.finish()
        write_atomic(run.model_path, lambda p: kind.save(model, p))
        _finish(run, kind, model, result, recorder, watcher.timed_out and time_limit)
    except (DigitLabError, ValueError) as e:  # ours, and a library's refusal of a value
        run.end(RunState.FAILED, str(e))
    except Exception as e:  # noqa: BLE001 - a run must end with a message, never hang
        traceback.print_exc()
        run.end(RunState.FAILED, f"training failed: {type(e).__name__}: {e}")


def _finish(run: Run, kind: kinds.Kind, model, result, recorder, time_limit: float | None = None) -> None:
    pointer = run.checkpoint()
    if pointer:  # the final model replaces the last checkpoint
        (run.folder / pointer["file"]).unlink(missing_ok=True)
        (run.folder / CHECKPOINT_FILE).unlink(missing_ok=True)
    p = recorder.progress
    if result.stopped and time_limit:
        message = (f"stopped at epoch {p.current_epoch}, batch {p.batch}, after {time_limit / 60:g} "
                   "minutes, the longest a run may train on this server; the weights learned so far "
                   "are kept")
    elif result.stopped:
        who = run.stopped_by()
        message = (f"stopped{f' by {who}' if who else ''} at epoch {p.current_epoch}, batch {p.batch}; "
                   "the weights learned so far are kept")
    else:
        message = "finished"
    run.end(RunState.STOPPED if result.stopped else RunState.FINISHED, message,
            test_accuracy=result.test_accuracy, test_loss=result.test_loss, seconds=p.elapsed,
            epochs_completed=p.epoch, params=kind.params(model), calibration=result.calibration)


# --- the worker process ----------------------------------------------------------------------------

def messages_until_parent_goes(conn) -> queue.Queue:
    """The parent's messages, read by a thread. The parent holds the other end of `conn`: reading
    gets EOF the moment it is gone, and the worker then ends at once, also mid-run (the run's lock
    goes with the process: readers see the run interrupted)."""
    inbox: queue.Queue = queue.Queue()

    def read():
        try:
            while True:
                inbox.put(conn.recv())
        except (EOFError, OSError):
            os._exit(3)

    threading.Thread(target=read, name="digitlab-parent-watch", daemon=True).start()
    return inbox


def resident_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(conn, runs_root: str, slots: int, warm: bool = True) -> None:
    """A worker process: warm up, then train each run it is given and can claim, until it retires.

    Messages: it sends ("warmed", seconds) (how long its warm-up's fit took) and ("ready",), then
    ("claimed", folder) or ("declined", folder) for each ("run", folder, alongside) it receives, and
    ("done", folder) once a claimed run has ended and it can take another; it exits after a run
    instead when it retires. ("quit",) ends an idle worker.
    """
    os.nice(NICENESS)
    warmed = warm_up() if warm else None
    inbox = messages_until_parent_goes(conn)
    if warmed is not None:
        conn.send(("warmed", warmed))
    conn.send(("ready",))
    first_run_mb = None

    def retire(run: Run) -> bool:  # after a failure, or once it grew too much
        nonlocal first_run_mb
        first_run_mb = first_run_mb or resident_mb()
        return run.state is RunState.FAILED or resident_mb() - first_run_mb > RETIRE_AFTER_GROWTH_MB

    def train(run: Run, alongside: int) -> None:
        execute(run, alongside=alongside, time_limit=run_time_limit())

    serve(conn, inbox, runs_root, slots, train, retire)


def serve(conn, inbox: queue.Queue, runs_root: str, slots: int, train, retire=lambda run: False) -> None:
    """What every process the scheduler starts does with its messages: for each ("run", folder,
    alongside), claim the run or decline it, `train(run, alongside)`, and say it is done, unless
    `retire(run)` ends the process instead; ("quit",) ends it when idle."""
    while True:
        message = inbox.get()
        if message[0] == "quit":
            return
        run = Run(Path(message[1]))
        taken = claim(run, Path(runs_root), slots)
        if taken is None:
            conn.send(("declined", message[1]))
            continue
        conn.send(("claimed", message[1]))
        try:
            train(run, message[2])
        finally:
            taken.release()
        if retire(run):
            return
        conn.send(("done", message[1]))
