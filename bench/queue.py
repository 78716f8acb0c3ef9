"""The training queue: how many trainings at once give the most throughput, and how soon a run
starts.

    .venv/bin/python -m bench.queue [--runs 12] [--slots 1 2 3]   # prints the figures as JSON

For each number of slots, `runs` one-epoch dense-128 runs on all 60,000 images (as the class load
test) go through the real scheduler and warm workers, from different workspaces; the figure is
the time until all have finished. "First batch" is a quiet machine with a warm worker: from
submitting a run to its first batch on disk (the page polls once more before showing it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

from nn.runs.scheduler import Scheduler
from nn.runs.store import RunState, RunStore
from nn.storage.workspaces import Workspace
from nn.training_config import TrainConfig

CONFIG = TrainConfig(epochs=1, batch_size=32)  # dense-128's defaults, one epoch


def until(condition, timeout: float = 600, every: float = 0.05) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise TimeoutError("the queue did not get there in time")
        time.sleep(every)
    return time.monotonic() - start


def warm_scheduler(root: Path, slots: int) -> Scheduler:
    scheduler = Scheduler(root / "runs", slots=slots).start()
    until(lambda: any(w.ready for w in scheduler.workers), timeout=120)
    return scheduler


def throughput(root: Path, runs: int, slots: int) -> dict:
    scheduler = warm_scheduler(root, slots)
    try:
        start = time.monotonic()
        submitted = [RunStore(Workspace(f"s{i}")).submit("dense-128", "mnist", CONFIG).run
                     for i in range(runs)]
        scheduler.wake()
        until(lambda: all(not r.state.active for r in submitted))
        seconds = time.monotonic() - start
    finally:
        scheduler.close()
    assert all(r.state is RunState.FINISHED for r in submitted)
    training = [r.status()["seconds"] for r in submitted]
    return {"slots": slots, "runs": runs, "all finished, s": round(seconds, 1),
            "runs per minute": round(runs / seconds * 60, 2),
            "training time per run, s (median)": round(statistics.median(training), 1)}


def first_batch_times(scheduler: Scheduler, repeat: int) -> list[float]:
    """Seconds from submitting a run to its first batch on disk, one run at a time on a quiet
    queue, each once a worker (or driver) is ready for it."""
    times = []
    for i in range(repeat):
        run = RunStore(Workspace(f"first{i}")).submit("dense-128", "mnist", CONFIG).run
        scheduler.wake()
        times.append(until(lambda run=run: run.counters().get("batch", 0) > 0, timeout=180))
        until(lambda run=run: not run.state.active)
        until(lambda: any(w.ready and w.assigned is None for w in scheduler.workers), timeout=180)
    return times


def first_batch(root: Path, repeat: int = 3) -> dict:
    scheduler = warm_scheduler(root, 1)
    try:
        times = first_batch_times(scheduler, repeat)
    finally:
        scheduler.close()
    return {"submit to first batch on disk, s (median / max)": [round(statistics.median(times), 2),
                                                                  round(max(times), 2)]}


def measure(runs: int = 12, slots: tuple[int, ...] = (1, 2)) -> tuple[list[dict], dict]:
    """(a row per number of slots, the first-batch figures), each in a fresh runs folder."""
    rows = []
    for n in slots:
        with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {
                "DIGITLAB_MODELS_DIR": f"{tmp}/models", "DIGITLAB_RUNS_DIR": f"{tmp}/runs"}):
            rows.append(throughput(Path(tmp), runs, n))
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {
            "DIGITLAB_MODELS_DIR": f"{tmp}/models", "DIGITLAB_RUNS_DIR": f"{tmp}/runs"}):
        return rows, first_batch(Path(tmp))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    rows, first = measure(args.runs, tuple(args.slots))
    print(json.dumps({"throughput": rows, **first}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
