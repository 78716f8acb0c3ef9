"""The queue: at most N trainings at once, the others waiting in a fair order.

All of it lives on disk in the runs folder, so the app, its restarts and the command line share
one queue. The order is fair across workspaces: a person's k-th waiting run comes after everyone
else's earlier ones, and runs a person already has training count against them, so one person's
ten runs do not hold everyone else back. This module reads the queue (`scan`, `look`: what
trains, what waits, when each should start); nn.runs.scheduler starts its runs.
"""

from __future__ import annotations

import heapq
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nn import settings, words
from nn.kinds.kind import Kind
from nn.limits import GB_PER_TRAINING
from nn.presets import ModelSource
from nn.runs import cluster
from nn.runs.pace import Pace, estimate, estimated_seconds, recent_pace, remaining_seconds, warm_up_paces
from nn.runs.store import Run, RunState, RunStore
from nn.storage.workspaces import every_workspace
from nn.training_config import TRAIN_IMAGES, TrainConfig

LOOK_CACHE_SECONDS = 0.5  # many pages look at the queue twice a second; one scan serves them all
# A queued run's message while the training process given it starts (a fresh process loads
# TensorFlow and the data set once, before its first run).
STARTING = "starting: a training process is getting ready for it (TensorFlow and the data load once)"


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
    abandoned: list[Run] = field(default_factory=list)  # marked as training, their process gone

    def expected_seconds(self, kind: Kind, source: ModelSource, config: TrainConfig,
                         images: int = TRAIN_IMAGES) -> float:
        """How long a run would take from its start, were it submitted now: its estimate at this
        server's pace for it, sharing the cores with what would train alongside it."""
        alongside = max(1, min(self.slots, len(self.training) + len(self.waiting) + 1))
        return estimate(kind, source, config, self.pace.of(source) * alongside, images)

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

    def waits_for(self, run: Run, message: str, slots: int) -> words.Phrase:
        """What a queued run waits for, truthfully, for people: its training process starting, a
        problem the scheduler met (its `message`), or a slot (its place, when it should start)."""
        position, seconds = self.position(run), self.seconds_until_start(run)
        free = slots - len(self.training)
        # The scheduler's "starting" holds only while the run is among the next to start: a
        # process that declined it (the run's lock was busy) leaves the message behind.
        if message == STARTING and position and position <= free:
            return words.said("Starting: a training process is getting ready for it (TensorFlow and the data "
                              "load once)…")
        if message.startswith("waiting:"):  # the scheduler's own words, as it wrote them
            return words.Phrase("{message}", {"message": message[0].upper() + message[1:] + "…"})
        if position is None:
            return words.said("Starting…")
        busy = len(self.training)
        if busy < slots and position == 1:
            return words.counted("Next: it starts in a moment ({busy} of {n} training slot in use)",
                                 "Next: it starts in a moment ({busy} of {n} training slots in use)", slots,
                                 busy=busy)
        if seconds and seconds >= 1:
            return words.counted("Waiting for a free training slot ({busy} of {n} training slot in use): "
                                 "number {position} in the queue · it starts in about {time}",
                                 "Waiting for a free training slot ({busy} of {n} training slots in use): "
                                 "number {position} in the queue · it starts in about {time}", slots,
                                 busy=busy, position=position, time=words.duration(seconds))
        return words.counted("Waiting for a free training slot ({busy} of {n} training slot in use): number "
                             "{position} in the queue · it starts as soon as one is free",
                             "Waiting for a free training slot ({busy} of {n} training slots in use): number "
                             "{position} in the queue · it starts as soon as one is free", slots,
                             busy=busy, position=position)


def scan(runs_root: Path, slots: int) -> QueueView:
    """Read every run's state (a run whose process died reads as interrupted: `abandoned`) and
    order the queue."""
    queued, training, finished, abandoned, last_started, appeared = [], [], [], [], {}, {}
    for run in every_run(runs_root):
        workspace = run.spec.workspace
        appeared[workspace] = min(appeared.get(workspace, run.spec.created), run.spec.created)
        status = run.status()
        if not status:
            continue
        if status.get("abandoned"):
            abandoned.append(run)
        state = RunState(status["state"])
        if state is RunState.QUEUED:
            queued.append((run, status))
        elif state.training:
            training.append((run, status))
        elif state is RunState.FINISHED and status.get("started_at") and status.get("ended_at"):
            finished.append((run, status))
        last_started[workspace] = max(last_started.get(workspace, 0.0), status.get("started_at") or 0.0)
    waiting = fair_order(queued, Counter(run.spec.workspace for run, _ in training), last_started, appeared)
    pace = recent_pace(finished, training, warm_up_paces(runs_root))
    alongside = max(1, min(slots, len(training) + len(waiting)))
    starts = start_times([estimated_seconds(run, pace.of(run.spec.source) * alongside) for run in waiting],
                         [remaining_seconds(run, status, pace.of(run.spec.source) * alongside)
                          for run, status in training], slots)
    return QueueView([run for run, _ in training], waiting,
                     {run.id: s for run, s in zip(waiting, starts)}, time.time(), pace, slots, abandoned)


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
