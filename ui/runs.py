"""The Train page's view of runs: the workspace's run store, the shared queue, progress readers."""

from __future__ import annotations

import streamlit as st

from nn.runs import run_queue
from nn.runs.run_folder import ProgressReader
from nn.runs.scheduler import Scheduler, app_scheduler
from nn.runs.store import Run, RunStore
from nn.storage.paths import runs_dir
from ui.workspace import current

OPEN_KEY = "open_run"  # the run the Train page shows; "new" for the form
NEW = "new"


def run_store() -> RunStore:
    return RunStore(current())


def scheduler() -> Scheduler:
    """This server's scheduler (started by server.py, or here on first use)."""
    return app_scheduler(runs_dir())


def queue_view(waiting: Run | None = None) -> run_queue.QueueView:
    """The shared look at the queue; a fresh one if it misses the `waiting` run."""
    return run_queue.look(runs_dir(), waiting=waiting)


def progress_of(run: Run):
    """The run's progress, read incrementally: each session keeps a reader per run."""
    readers = st.session_state.setdefault("progress_readers", {})
    reader = readers.get(run.folder)
    if reader is None:
        reader = readers[run.folder] = ProgressReader(run.folder)
    return reader.read()


def open_run(run_id: str | None) -> None:
    """Show this run (or the form, for NEW) from the next run of the script on."""
    st.session_state[OPEN_KEY] = run_id
    st.session_state.runs_table_version = st.session_state.get("runs_table_version", 0) + 1


def opened(runs: list[Run]) -> Run | None:
    """The run to show: the one chosen, else the newest (as it was before a reload)."""
    choice = st.session_state.get(OPEN_KEY)
    if choice == NEW:
        return None
    for run in runs:
        if run.id == choice:
            return run
    return runs[0] if runs else None


def states(runs: list[Run]) -> tuple:
    """What the list of runs shows that can change by itself: which runs, their states, names."""
    return tuple((run.id, run.status().get("state"), tuple(run.saved_as())) for run in runs)


def watch_states(drawn: tuple) -> None:
    """Rerun the page when the person's runs are no longer what it shows (one started, ended,
    was submitted in another tab or is gone)."""
    if states(run_store().list()) != drawn:
        st.rerun(scope="app")
