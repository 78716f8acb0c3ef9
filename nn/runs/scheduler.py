"""The scheduler: a thread (in the app's server, or in `python -m nn train` when no server runs)
that hands the next run of the queue (nn.runs.run_queue) to a warm worker process
(nn.runs.worker) whenever a training slot is free. The slots themselves are locks, so the bound
holds across every process that trains.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import multiprocessing.connection
import multiprocessing.spawn
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from nn.runs import cluster
from nn.runs.pace import write_warm_up
from nn.runs.run_queue import STARTING, max_trainings, scan
from nn.runs.store import Run, RunState
from nn.storage.locks import locked

RESPAWN_DELAY = 10.0  # after a worker died before it was ready
_SPAWN = multiprocessing.get_context("spawn")  # a fork of a process running TensorFlow is unsafe


def _without_the_main_script(prepare):
    """A spawned process first runs its parent's __main__ again, and in the app's server that is
    the page script Streamlit ran last (app.py): every worker would run the whole app, bare, before
    its first run. A worker needs nothing from it (its target is nn.runs.worker.main)."""
    def preparation_data(name):
        data = prepare(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    return preparation_data


multiprocessing.spawn.get_preparation_data = _without_the_main_script(
    multiprocessing.spawn.get_preparation_data)


def run_trainings(conn, runs_root: str, slots: int, warm: bool = True) -> None:
    """The process the scheduler starts to train runs: a local worker, or a Ray driver in its place
    (only then is Ray imported)."""
    if cluster.ray_address():
        from nn.runs import ray_driver

        ray_driver.main(conn, runs_root, slots, warm)
    else:
        from nn.runs import worker

        worker.main(conn, runs_root, slots, warm)


class WorkerProcess:
    """The scheduler's end of one worker process (nn.runs.worker.main), or of a Ray driver process
    in its place (nn.runs.ray_driver.main)."""

    def __init__(self, runs_root: Path, slots: int, warm: bool):
        self.conn, child = _SPAWN.Pipe()
        self.process = _SPAWN.Process(target=run_trainings, name="digitlab-worker", daemon=True,
                                      args=(child, str(runs_root), slots, warm))
        self.process.start()
        child.close()  # only the worker holds that end: EOF then means it has gone
        self.runs_root = Path(runs_root)
        self.ready, self.claimed = False, False
        self.assigned: Path | None = None
        self.problem: str | None = None
        self.shared = False  # whether a run trained while it warmed up (its timing is not the machine's)

    def poll(self) -> None:
        try:
            while self.conn.poll():
                message = self.conn.recv()
                if message[0] == "warmed" and not self.shared:
                    write_warm_up(self.runs_root, message[1])
                elif message[0] == "ready":
                    self.ready = True
                elif message[0] == "claimed":
                    self.claimed = True
                elif message[0] in ("declined", "done"):  # free for another run
                    self.assigned, self.claimed = None, False
                elif message[0] == "cannot_start":  # a driver that cannot reach its cluster
                    self.problem = message[1]
        except (EOFError, OSError):
            pass  # it has gone; the scheduler sees that it is no longer alive

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def spare(self) -> bool:
        """Started (or starting) and not given a run yet."""
        return self.alive and self.assigned is None

    def assign(self, folder: Path, alongside: int) -> None:
        """Give it a run, which will train with `alongside` runs at once (itself included)."""
        self.conn.send(("run", str(folder), alongside))
        self.assigned = folder

    def close(self) -> None:
        """End the worker; one that is training is ended too (its run becomes interrupted)."""
        if self.alive:
            self.process.terminate()
        self.process.join(10)
        self.conn.close()


SERVERS_LOCK = ".schedulers"  # every app server holds a shared lock on it while it runs


def server_running(runs_root: Path) -> bool:
    """Whether an app server's scheduler is running for this runs folder."""
    path = Path(runs_root) / SERVERS_LOCK
    if not path.exists():
        return False
    with open(path) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


class Scheduler:
    """Starts queued runs whenever a training slot is free, in fair order.

    `only(run)` limits it to some runs: the command line, when no app server runs, starts only
    its own. `keep_warm` keeps one spare worker with TensorFlow imported, so that the next run
    starts at once; an app server's scheduler does (and says so with a shared lock, see
    server_running).
    """

    def __init__(self, runs_root: Path, slots: int | None = None,
                 only: Callable[[Run], bool] | None = None, keep_warm: bool = True, tick: float = 0.5):
        self.runs_root = Path(runs_root)
        self.slots = slots or max_trainings(self.runs_root)
        self.slots_from_cluster = slots is None and cluster.ray_address() is not None
        self.only, self.keep_warm, self.tick = only, keep_warm, tick
        self.workers: list[WorkerProcess] = []
        self._wake_read, self._wake_write = os.pipe()  # wake() writes a byte: the loop looks at once
        self._closed = threading.Event()
        self._no_spawn_until = 0.0
        self._thread = threading.Thread(target=self._loop, name="digitlab-scheduler", daemon=True)
        self._presence = None

    def start(self) -> Scheduler:
        if self.only is None:
            self.runs_root.mkdir(parents=True, exist_ok=True)
            self._presence = open(self.runs_root / SERVERS_LOCK, "a")
            fcntl.flock(self._presence, fcntl.LOCK_SH)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Look at the queue now (a run was submitted or stopped)."""
        os.write(self._wake_write, b"!")

    def close(self) -> None:
        self._closed.set()
        self.wake()
        self._thread.join(30)
        for worker in self.workers:
            worker.close()
        self.workers.clear()
        os.close(self._wake_read)
        os.close(self._wake_write)
        if self._presence is not None:
            self._presence.close()

    def _loop(self) -> None:
        while not self._closed.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - the scheduler must outlive one bad run folder
                import traceback

                traceback.print_exc()
            self._wait()

    def _wait(self) -> None:
        """Until a tick has passed, wake() was called, or a worker said something (a run it
        finished frees its slot for the next one at once)."""
        ready = multiprocessing.connection.wait([self._wake_read, *(w.conn for w in self.workers)],
                                                timeout=self.tick)
        if self._wake_read in ready:
            os.read(self._wake_read, 4096)

    def step(self) -> None:
        """One look at the queue: start what can start, keep a spare worker ready."""
        self._reap()
        if self.slots_from_cluster:  # as the last driver to connect found the cluster
            self.slots = max_trainings(self.runs_root)
        view = scan(self.runs_root, self.slots)
        for run in view.abandoned:  # the one place a dead run's interruption is written down
            run.settle()
        training = {run.folder for run in view.training}
        # Given to a worker and not (yet, or any more) shown as training: its slot is taken too.
        pending = {w.assigned for w in self.workers if w.assigned} - training
        free = self.slots - len(training) - len(pending)
        for run in view.waiting:
            if free <= 0:
                break
            if run.folder in pending or (self.only and not self.only(run)):
                continue
            spares = sorted((w for w in self.workers if w.spare), key=lambda w: not w.ready)
            worker = spares[0] if spares else self._spawn()
            if worker is None:
                break
            worker.assign(run.folder, self.slots - free + 1)
            free -= 1
            if not worker.ready:  # its place is 1 with a slot free: say what it does wait for
                self._tell(run, STARTING)
        # A spare waits for a run that could start now: with every slot taken, the next run goes to
        # a worker whose run ends (it trains run after run), and a spare warming up beside a
        # training would take a share of its cores (TensorFlow's import: seconds of CPU).
        if self.keep_warm and free > 0 and not any(w.spare for w in self.workers):
            self._spawn()
        if free < self.slots:  # something trains, or was just given a worker
            for worker in self.workers:
                worker.shared |= not worker.ready

    def _spawn(self) -> WorkerProcess | None:
        if time.monotonic() < self._no_spawn_until:
            return None
        try:
            worker = WorkerProcess(self.runs_root, self.slots, warm=True)
        except (OSError, RuntimeError):
            self._no_spawn_until = time.monotonic() + RESPAWN_DELAY
            raise
        self.workers.append(worker)
        return worker

    def _reap(self) -> None:
        for worker in list(self.workers):
            worker.poll()
            if not worker.alive:
                if not worker.ready and not worker.claimed:  # died while starting: do not spin
                    self._no_spawn_until = time.monotonic() + RESPAWN_DELAY
                if worker.problem:
                    self._tell_the_waiting(worker.problem)
                worker.process.join(1)
                worker.conn.close()
                self.workers.remove(worker)


    def _tell_the_waiting(self, problem: str) -> None:
        """Why nothing starts, in the state of every run waiting (its lock taken for the write)."""
        for run in scan(self.runs_root, self.slots).waiting:
            if not self.only or self.only(run):
                self._tell(run, f"waiting: {problem}; it starts once it can")

    @staticmethod
    def _tell(run: Run, message: str) -> None:
        with locked(run.lock_path) as got:
            if got and run.state is RunState.QUEUED:
                run.write_status(message=message)


_app_schedulers: dict[Path, Scheduler] = {}
_app_lock = threading.Lock()


def app_scheduler(runs_root: Path) -> Scheduler:
    """The app server's one scheduler for this runs folder, started on first use."""
    root = Path(runs_root)
    with _app_lock:
        if root not in _app_schedulers:
            _app_schedulers[root] = Scheduler(root).start()
        return _app_schedulers[root]


def close_app_schedulers() -> None:
    with _app_lock:
        for scheduler in _app_schedulers.values():
            scheduler.close()
        _app_schedulers.clear()
