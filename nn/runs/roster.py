"""Runs as rows: one workspace's (`nn runs --json`) or every person's in the class (`nn class
--json`, the teacher's Class page and its CSV)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from nn.runs import run_queue
from nn.runs.store import Run, RunState
from nn.storage.workspaces import Workspace

ORDER = {RunState.PREPARING: 0, RunState.RUNNING: 0, RunState.QUEUED: 1}


def run_row(run: Run, view: run_queue.QueueView, status: dict | None = None) -> dict:
    """One run as the `runs --json` contract gives it (`status`: run.status(), if already read)."""
    status, counters = status if status is not None else run.status(), run.counters()
    return {
        "id": run.id, "workspace": run.spec.workspace, "state": status.get("state"),
        "model": run.spec.title.rsplit(" on ", 1)[0], "dataset": run.spec.dataset,
        "epoch": counters.get("epoch", 0), "epochs": run.spec.config.epochs,
        "test_accuracy": status.get("test_accuracy"), "queue_position": view.position(run),
        "starts_in": view.seconds_until_start(run), "message": status.get("message"),
        "created": run.spec.created, "seconds": status.get("seconds") or counters.get("elapsed"),
        "executed_on": status.get("executed_on"), "saved_as": run.saved_as(),
    }


def class_rows(runs_root: Path) -> list[dict]:
    """Every run of every person: training first, then the queue in order, then the rest, newest
    first; each row also names its person."""
    view = run_queue.look(runs_root)
    people: dict[str, str] = {}
    rows = []
    for run in run_queue.every_run(runs_root):
        status = run.status()
        row = run_row(run, view, status)
        workspace = run.spec.workspace
        if workspace not in people:
            people[workspace] = Workspace(workspace).person
        rows.append({"person": people[workspace], **row, "started_at": status.get("started_at"),
                     "ended_at": status.get("ended_at")})
    def place(row: dict):
        state = RunState(row["state"]) if row["state"] else RunState.QUEUED
        return (ORDER.get(state, 2), row["queue_position"] or 0, -row["created"])
    return sorted(rows, key=place)


def slots(runs_root: Path) -> tuple[int, int]:
    """(runs training, training slots) of the class's server."""
    return len(run_queue.look(runs_root).training), run_queue.max_trainings(runs_root)


CSV_COLUMNS = ("person", "workspace", "model", "dataset", "state", "epoch", "epochs", "test_accuracy",
               "seconds", "executed_on", "created", "id")


def as_csv(rows: list[dict]) -> str:
    """The class's results for a spreadsheet. Cells that a spreadsheet would read as a formula are
    quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in CSV_COLUMNS})
    return out.getvalue()


def _cell(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value
