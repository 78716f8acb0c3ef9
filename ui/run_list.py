"""The person's runs as a table, newest first; choosing a row opens that run."""

from __future__ import annotations

import time
from datetime import datetime

import pandas as pd
import streamlit as st

from nn.progress import format_duration
from nn.runs import Run, RunState
from ui.runs import NEW, OPEN_KEY, open_run, queue_view, store

REFRESH_EVERY = 10.0  # seconds, while any run is active: the open run's own view is the live one


def row(run: Run, position: int | None) -> dict:
    status, counters = run.status(), run.counters()
    state = RunState(status["state"])
    if state is RunState.QUEUED:
        progress = f"#{position} in the queue" if position else "starting"
    elif state.training and counters.get("batches_per_epoch"):
        progress = f"{counters['epochs']} epochs"
    elif status.get("test_accuracy") is not None:
        progress = f"test accuracy {status['test_accuracy']:.2%}"
    else:
        progress = ""
    started, ended = status.get("started_at"), status.get("ended_at")
    elapsed = ((ended or time.time()) - started) if started else None
    return {"submitted": datetime.fromtimestamp(run.spec.created).strftime("%d %b %H:%M"),
            "model": run.spec.title, "state": str(state), "progress or result": progress,
            "time": format_duration(elapsed, missing=""),
            "saved as": ", ".join(run.saved_as())}


def show(runs: list[Run], shown: Run | None) -> None:
    """The table (refreshed live while runs are active) and the New training button."""
    active = any(run.state.active for run in runs)
    st.fragment(_table, run_every=REFRESH_EVERY if active else None)(shown)


def _table(shown: Run | None) -> None:
    runs = store().list()
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    c1.markdown(f"**Your runs** ({len(runs)})")
    if shown is not None and c2.button("New training", key="train_new", icon=":material/add:"):
        open_run(NEW)
        st.rerun(scope="app")
    view = queue_view()
    table = pd.DataFrame([row(run, view.position(run)) for run in runs])
    version = st.session_state.get("runs_table_version", 0)  # a new key clears the selection
    with st.container(key="runs_table"):
        event = st.dataframe(table, hide_index=True, width="stretch", key=f"runs_table-{version}",
                             on_select="rerun", selection_mode="single-row",
                             height=min(38 + 35 * len(runs), 250))
    chosen = event.selection.rows if event and event.selection else []
    if chosen and runs[chosen[0]].id != st.session_state.get(OPEN_KEY):
        open_run(runs[chosen[0]].id)
        st.rerun(scope="app")
