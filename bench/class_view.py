"""What the teacher's Class page costs the server: every person's runs read as rows, every 2 s.

    .venv/bin/python -m bench.class_view [--people 30] [--runs 10]   # prints the figures as JSON

A class's runs folder is made with the real run store: each person's runs submitted, then given
the files a finished run has (its state, counters and epochs, as a worker leaves them), and one
more run each left waiting. The page's
refresh (nn.runs.roster.class_rows, with the shared look at the queue) and the CSV are timed.
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

from nn.runs import roster, run_queue
from nn.runs.run_folder import EPOCHS_FILE, PROGRESS_FILE, write_json
from nn.runs.store import RunState, RunStore
from nn.storage.workspaces import Workspace
from nn.training_config import TrainConfig

REFRESH_EVERY = 2.0  # seconds: ui.class_view.REFRESH_EVERY


def a_class(people: int, runs_each: int) -> None:
    """`people` workspaces with `runs_each` finished runs and one waiting run each."""
    config = TrainConfig(epochs=2, subset=1000, batch_size=50)
    for p in range(people):
        store = RunStore(Workspace(f"t-person{p:04d}"))
        Workspace(f"t-person{p:04d}").set_person(f"Student {p + 1}")
        for _ in range(runs_each):
            run = store.submit("dense-128", "mnist", config).run
            now = time.time()
            (run.folder / EPOCHS_FILE).write_text(
                "".join(json.dumps({"epoch": e, "loss": 0.3, "accuracy": 0.9}) + "\n" for e in (1, 2)))
            write_json(run.folder / PROGRESS_FILE, {"epoch": 2, "elapsed": 20.0})
            run.write_status(state=RunState.FINISHED, started_at=now - 20, ended_at=now, seconds=20.0,
                             test_accuracy=0.95, epochs_completed=2)
        store.submit("dense-128", "mnist", config)


def measure(people: int = 30, runs_each: int = 10, repeat: int = 20) -> dict:
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {
            "DIGITLAB_MODELS_DIR": f"{tmp}/models", "DIGITLAB_RUNS_DIR": f"{tmp}/runs",
            "DIGITLAB_WORKSPACES": "per-user", "DIGITLAB_MAX_RUNS_PER_PERSON": str(runs_each + 1)}):
        a_class(people, runs_each)
        root = Path(tmp) / "runs"
        refresh, csv = [], []
        for _ in range(repeat):
            run_queue._looks.clear()  # the worst case: the shared look has expired too
            start = time.perf_counter()
            rows = roster.class_rows(root)
            refresh.append(time.perf_counter() - start)
            start = time.perf_counter()
            roster.as_csv(rows)
            csv.append(time.perf_counter() - start)
    median = statistics.median(refresh)
    return {"people": people, "runs": len(rows),
            "Class page refresh, ms (median / max)": [round(median * 1000), round(max(refresh) * 1000)],
            f"share of one core while a teacher watches (a refresh every {REFRESH_EVERY:.0f} s)":
                f"{median / REFRESH_EVERY:.1%}",
            "CSV of the class's results, ms (median)": round(statistics.median(csv) * 1000, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.people, args.runs), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
