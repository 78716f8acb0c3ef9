"""Runs on a Ray cluster against the local queue: the same one-epoch runs, the same scheduler.

    .venv/bin/python -m bench.cluster [--runs 12]   # prints the figures as JSON

The cluster is two worker nodes of 2 CPUs each and a head with none, all on this 2-core machine's
loopback (harness.ray_cluster), so it holds 2 runs at once, as the local queue does here (2 slots):
the figures compare Ray's cost with the local workers' on the same cores; they do not show a
bigger cluster's gain (docs/teaching.md works that out from the per-run times). Both go through the
scheduler as the app's server runs it (a spare worker, or a spare driver, kept ready).

- all finished: `runs` dense-128 runs of one epoch on all 60,000 images, from different workspaces.
- first batch: a quiet queue, from submitting a run to its first batch in the run store.
- start-up per run: from a run's start (claimed by a worker or driver) to its end, less its
  training (the trainer's own clock): data, model, test scoring and saving, and with Ray the task's
  scheduling and the transfers.
- driver memory: the largest resident size of a driver process (it never imports TensorFlow).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

from bench.queue import CONFIG, first_batch_times, until
from bench.tables import table
from harness.ray_cluster import start_cluster, stop_cluster
from harness.server import memory_mb
from nn.runs.scheduler import Scheduler
from nn.runs.store import RunState, RunStore
from nn.storage.workspaces import Workspace


class PeakMemory(threading.Thread):
    """The largest resident size of the scheduler's worker (or driver) processes, once a second."""

    def __init__(self, scheduler: Scheduler):
        super().__init__(daemon=True)
        self.scheduler, self.peak_mb, self.done = scheduler, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            for worker in list(self.scheduler.workers):
                try:
                    self.peak_mb = max(self.peak_mb, memory_mb(worker.process.pid)["rss"])
                except (OSError, KeyError, ValueError):
                    pass


def ready_scheduler(root: Path) -> Scheduler:
    scheduler = Scheduler(root / "runs").start()
    until(lambda: any(w.ready for w in scheduler.workers), timeout=180)
    return scheduler


def all_finished(root: Path, runs: int) -> dict:
    scheduler = ready_scheduler(root)
    memory = PeakMemory(scheduler)
    memory.start()
    try:
        start = time.monotonic()
        submitted = [RunStore(Workspace(f"s{i}")).submit("dense-128", "mnist", CONFIG).run
                     for i in range(runs)]
        scheduler.wake()
        until(lambda: all(not r.state.active for r in submitted), timeout=1800)
        seconds = time.monotonic() - start
    finally:
        memory.done.set()
        scheduler.close()
    assert all(r.state is RunState.FINISHED for r in submitted), [r.status() for r in submitted]
    statuses = [r.status() for r in submitted]
    startup = [s["ended_at"] - s["started_at"] - s["seconds"] for s in statuses]
    return {"runs": runs, "slots": scheduler.slots, "all finished, s": round(seconds, 1),
            "training per run, s (median)": round(statistics.median(s["seconds"] for s in statuses), 1),
            "start-up per run, s (median / max)": [round(statistics.median(startup), 1),
                                                    round(max(startup), 1)],
            "worker or driver memory, MB (peak RSS)": round(memory.peak_mb),
            "executed on": sorted({s["executed_on"].split(" (process")[0] for s in statuses})}


def first_batch(root: Path, repeat: int = 4) -> dict:
    scheduler = ready_scheduler(root)
    try:
        times = first_batch_times(scheduler, repeat)
    finally:
        scheduler.close()
    return {"submit to first batch on disk, s (each)": [round(t, 2) for t in times]}


def measure(runs: int, env: dict) -> dict:
    figures = {}
    for step in (lambda root: all_finished(root, runs), first_batch):
        with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {
                **env, "DIGITLAB_MODELS_DIR": f"{tmp}/models", "DIGITLAB_RUNS_DIR": f"{tmp}/runs"}):
            figures.update(step(Path(tmp)))
    return figures


LOCAL, ON_RAY = "local queue (2 slots)", "Ray cluster (2 nodes x 2 CPUs)"


def compare(runs: int = 12) -> dict[str, dict]:
    """The figures of the local queue and of a two-node cluster started here for them."""
    with mock.patch.dict(os.environ):
        os.environ.pop("DIGITLAB_MAX_TRAININGS", None)
        local = measure(runs, {})
        with tempfile.TemporaryDirectory() as tmp:
            cluster = start_cluster(Path(tmp) / "ray", worker_nodes=2, cpus=2)
            try:
                on_ray = measure(runs, cluster.env())
            finally:
                stop_cluster(cluster)
    return {LOCAL: local, ON_RAY: on_ray}


def table_of(figures: dict[str, dict]) -> str:
    """One row per measure, a column for each way of running."""
    measures = list(figures[LOCAL])
    return table([{"measure": m, **{way: figures[way].get(m) for way in figures}} for m in measures])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that the cluster is stopped too
    figures = compare(args.runs)
    print(json.dumps(figures, indent=1))
    print(table_of(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
