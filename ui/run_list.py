"""The person's runs as a table, newest first; choosing a row opens that run.

The table holds nothing that changes while a run trains or waits (the open run's own view is the
live one), so it is drawn again only when the page is: a cheap watcher reruns the page when one
of the person's runs changes state. Redrawing a table every few seconds for each of a class's
thirty watching sessions cost their browsers a fifth of a core.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nn.progress import format_duration
from nn.runs.store import Run, RunState
from ui import wording
from ui.errors import shown_as_sentences
from ui.i18n import _, n_
from ui.runs import NEW, OPEN_KEY, open_run, states, watch_states

WATCH_EVERY = 5.0  # seconds between looks at the states of the person's runs, while any is active


def row(run: Run) -> dict:
    status = run.status()
    state = RunState(status["state"])
    if state is RunState.QUEUED:
        progress = _("waiting for a training slot")
    elif state.training:
        epochs = run.spec.config.epochs
        progress = n_("{n} epoch", "{n} epochs", epochs).format(n=wording.number(epochs))
    elif status.get("test_accuracy") is not None:
        progress = _("test accuracy {accuracy}").format(accuracy=wording.accuracy(status["test_accuracy"]))
    else:
        progress = ""
    started, ended = status.get("started_at"), status.get("ended_at")
    took = format_duration(ended - started, missing="") if started and ended else ""
    # What a person looks for first comes first: on a phone the later columns are a scroll away.
    return {_("model"): run.spec.title, _("state"): wording.run_state(state),
            _("progress or result"): progress, _("time"): took, _("saved as"): ", ".join(run.saved_as()),
            _("submitted"): wording.moment(run.spec.created)}


def show(runs: list[Run], shown: Run | None) -> tuple:
    """The table and the New training button; returns what it shows of the runs' states
    (ui.runs.states) for the open run's live view, which watches them while it refreshes. When
    the open run is not active but another run is, a watcher of its own does."""
    drawn = states(runs)
    _table(runs, shown)
    if any(run.state.active for run in runs) and not (shown and shown.state.active):
        st.fragment(shown_as_sentences(watch_states), run_every=WATCH_EVERY)(drawn)
    return drawn


def _table(runs: list[Run], shown: Run | None) -> None:
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    c1.markdown(_("**Your runs** ({n})").format(n=len(runs)))
    if shown is not None and c2.button(_("New training"), key="train_new", icon=":material/add:"):
        open_run(NEW)
        st.rerun(scope="app")
    table = pd.DataFrame([row(run) for run in runs])
    version = st.session_state.get("runs_table_version", 0)  # a new key clears the selection
    with st.container(key="runs_table"):
        event = st.dataframe(table, hide_index=True, width="stretch", key=f"runs_table-{version}",
                             on_select="rerun", selection_mode="single-row",
                             height=min(38 + 35 * len(runs), 250))
    chosen = event.selection.rows if event and event.selection else []
    if chosen and runs[chosen[0]].id != st.session_state.get(OPEN_KEY):
        open_run(runs[chosen[0]].id)
        st.rerun(scope="app")
