"""The queue: at most N trainings at once, the others waiting in a fair order.

All of it lives on disk in the runs folder, so the app, its restarts and the command line share
one queue. The order is fair across workspaces: a person's k-th waiting run comes after everyone
else's earlier ones, and runs a person already has training count against them, so one person's
ten runs do not hold everyone else back.

The `Scheduler` is a thread (in the app's server, or in `python -m nn train` when no server runs)
that hands the next run to a warm worker process (nn.runs.worker) whenever a slot is free. The slots
themselves are locks, so the bound holds across every process that trains.
"""

from __future__ import annotations

import fcntl
import heapq
import multiprocessing
import multiprocessing.connection
import multiprocessing.spawn
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nn import settings, words
from nn.config import TrainConfig
from nn.kinds.kind import Kind
from nn.limits import GB_PER_TRAINING
from nn.presets import ModelSource
from nn.runs import cluster
from nn.runs.pace import (
    Pace,
    estimate,
    estimated_seconds,
    recent_pace,
    remaining_seconds,
    warm_up_pace,
    write_warm_up,
)
from nn.runs.store import Run, RunState, RunStore
from nn.storage.locks import locked
from nn.storage.workspaces import every_workspace

LOOK_CACHE_SECONDS = 0.5  # many pages look at the queue twice a second; one scan serves them all
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


def default_max_trainings() -> int:
    """One training per core, as far as memory allows (about 1 GB each, 2 GB for the app).

    Measured on 2 cores (bench.queue, twelve one-epoch runs): one at a time 63 s, two 53 s, three
    54 s. A second training overlaps one run's start and test scoring with another's epochs.
    """
    cores = len(os.sched_getaffinity(0))
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return max(1, min(cores, int((memory_gb - 2) / GB_PER_TRAINING)))


def max_trainings(runs_root: Path | None = None) -> int:
    """DIGITLAB_MAX_TRAININGS, or the default: for this machine (default_max_trainings), or with
    Ray, what the cluster holds as its drivers last read it (1 until one has)."""
    chosen = settings.value("DIGITLAB_MAX_TRAININGS")
    if chosen is None and cluster.ray_address():
        return (runs_root and cluster.recorded_slots(runs_root)) or 1
    return chosen or default_max_trainings()


def every_run(runs_root: Path) -> list[Run]:
    return [run for workspace in every_workspace(runs_root) for run in RunStore(workspace).list()]


def fair_order(queued: list[tuple[Run, dict]], training: Counter,
               last_started: dict[str, float], appeared: dict[str, float] | None = None) -> list[Run]:
    """Queued runs (with their status) in the order they will start: round robin over workspaces.

    The next run comes from the workspace with the fewest runs training, and among those the one
    whose last run started longest ago; each workspace's own runs keep their order. A workspace
    that `appeared` (its first run) after someone's waiting run was queued comes after that run,
    while that someone has nothing training and has had nothing started since: new workspaces cost
    nothing to make, and ten of them must not push an earlier person back by ten runs.
    """
    appeared = appeared or {}
    by_workspace: dict[str, list[tuple[Run, dict]]] = {}
    for run, status in sorted(queued, key=lambda rs: (rs[1].get("queued_at", 0), rs[0].id)):
        by_workspace.setdefault(run.spec.workspace, []).append((run, status))
    turns = {ws: [training[ws], last_started.get(ws, 0.0)] for ws in by_workspace}
    later = time.time() + 1e9  # picks made here count as later than any real start
    order = []
    def waits_for_an_earlier_person(w: str) -> bool:
        """Whether someone idle, unserved since `w` appeared, has a run that waited from before."""
        since = appeared.get(w, 0)
        return any(turns[u][0] == 0 and turns[u][1] < since
                   and by_workspace[u][0][1].get("queued_at", 0) < since for u in by_workspace if u != w)

    while by_workspace:
        eligible = [w for w in by_workspace if not waits_for_an_earlier_person(w)] or list(by_workspace)
        ws = min(eligible, key=lambda w: (*turns[w], by_workspace[w][0][1].get("queued_at", 0)))
        order.append(by_workspace[ws].pop(0)[0])
        turns[ws] = [turns[ws][0] + 1, later + len(order)]
        if not by_workspace[ws]:
            del by_workspace[ws]
    return order


def start_times(waiting_seconds: list[float], busy_seconds: list[float], slots: int) -> list[float]:
    """When each waiting run starts, in seconds from now, given how long each waiting run takes
    and how long each training run still needs (earliest free slot first)."""
    free_at = sorted(busy_seconds)[:slots] + [0.0] * max(0, slots - len(busy_seconds))
    heapq.heapify(free_at)
    starts = []
    for seconds in waiting_seconds:
        start = heapq.heappop(free_at)
        starts.append(start)
        heapq.heappush(free_at, start + seconds)
    return starts


@dataclass
class QueueView:
    """The queue at one moment: what trains, what waits (in order), and when each should start."""

    training: list[Run]
    waiting: list[Run]
    starts_in: dict[str, float]  # run id -> seconds from `taken` until it should start
    taken: float  # time.time() of the look
    pace: Pace = Pace()
    slots: int = 1

    def expected_seconds(self, kind: Kind, source: ModelSource, config: TrainConfig) -> float:
        """How long a run would take from its start, were it submitted now: its estimate at this
        server's pace for it, sharing the cores with what would train alongside it."""
        alongside = max(1, min(self.slots, len(self.training) + len(self.waiting) + 1))
        return estimate(kind, source, config, self.pace.of(source) * alongside)

    def knows(self, run: Run) -> bool:
        """Whether the run was waiting or training when the queue was looked at."""
        return any(other.folder == run.folder for other in (*self.waiting, *self.training))

    def position(self, run: Run) -> int | None:
        """1 for the next run to start; None when the run is not waiting."""
        for i, waiting in enumerate(self.waiting):
            if waiting.folder == run.folder:
                return i + 1
        return None

    def seconds_until_start(self, run: Run) -> float | None:
        if run.id not in self.starts_in:
            return None
        return max(0.0, self.starts_in[run.id] - (time.time() - self.taken))

    def waits_for(self, run: Run, message: str, slots: int) -> str:
        """What a queued run waits for, truthfully, for people: its training process starting, a
        problem the scheduler met (its `message`), or a slot (its place, when it should start)."""
        position, seconds = self.position(run), self.seconds_until_start(run)
        free = slots - len(self.training)
        # The scheduler's "starting" holds only while the run is among the next to start: a
        # process that declined it (the run's lock was busy) leaves the message behind.
        if message.startswith("waiting:") or (message == STARTING and position and position <= free):
            return message[0].upper() + message[1:] + "…"
        if position is None:
            return "Starting…"
        in_use = f"{len(self.training)} of {words.count(slots, 'training slot')} in use"
        if len(self.training) < slots and position == 1:
            return f"Next: it starts in a moment ({in_use})"
        when = f"in about {words.duration(seconds)}" if seconds and seconds >= 1 else "as soon as one is free"
        return (f"Waiting for a free training slot ({in_use}): number {position} in the queue · "
                f"it starts {when}")


def scan(runs_root: Path, slots: int) -> QueueView:
    """Read every run's state (which also marks dead runs as interrupted) and order the queue."""
    queued, training, finished, last_started, appeared = [], [], [], {}, {}
    for run in every_run(runs_root):
        workspace = run.spec.workspace
        appeared[workspace] = min(appeared.get(workspace, run.spec.created), run.spec.created)
        status = run.status()
        if not status:
            continue
        state = RunState(status["state"])
        if state is RunState.QUEUED:
            queued.append((run, status))
        elif state.training:
            training.append((run, status))
        elif state is RunState.FINISHED and status.get("started_at") and status.get("ended_at"):
            finished.append((run, status))
        last_started[workspace] = max(last_started.get(workspace, 0.0), status.get("started_at") or 0.0)
    waiting = fair_order(queued, Counter(run.spec.workspace for run, _ in training), last_started, appeared)
    pace = recent_pace(finished, training, warm_up_pace(runs_root))
    alongside = max(1, min(slots, len(training) + len(waiting)))
    starts = start_times([estimated_seconds(run, pace.of(run.spec.source) * alongside) for run in waiting],
                         [remaining_seconds(run, status, pace.of(run.spec.source) * alongside)
                          for run, status in training], slots)
    return QueueView([run for run, _ in training], waiting,
                     {run.id: s for run, s in zip(waiting, starts)}, time.time(), pace, slots)


_looks: dict[Path, QueueView] = {}
_looks_lock = threading.Lock()


def look(runs_root: Path, slots: int | None = None, waiting: Run | None = None) -> QueueView:
    """The queue as of at most LOOK_CACHE_SECONDS ago; a new look if it misses the `waiting` run
    (submitted since), so that its place is shown from the first moment."""
    root = Path(runs_root)
    with _looks_lock:
        view = _looks.get(root)
        if view is None or time.time() - view.taken > LOOK_CACHE_SECONDS or (
                waiting is not None and not view.knows(waiting)):
            view = _looks[root] = scan(root, slots or max_trainings(root))
        return view


# --- the scheduler --------------------------------------------------------------------------------

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


# A queued run's message while the training process given it starts (a fresh process loads
# TensorFlow and the data set once, before its first run).
STARTING = "starting: a training process is getting ready for it (TensorFlow and the data load once)"

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
        if self.keep_warm and not any(w.spare for w in self.workers):
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
