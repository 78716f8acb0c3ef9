"""The teacher's Class page: every person's runs, live; stopping any of them; the class's limits;
the models published to the class; the class's results as CSV."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from nn.progress import format_duration
from nn.runs import roster
from nn.runs.store import RunState, RunStore, change_class_limits, run_time_limit, runs_per_person
from nn.storage import workspaces
from nn.storage.paths import runs_dir
from nn.storage.workspaces import Workspace
from ui import charts, markdown, wording
from ui.errors import shown_as_sentences
from ui.i18n import _, n_

REFRESH_EVERY = 2.0  # seconds between looks at the class's runs


def progress_or_result(row: dict) -> str:
    state = RunState(row["state"]) if row["state"] else RunState.QUEUED
    if state is RunState.QUEUED:
        starts = row["starts_in"]
        place = row["queue_position"] or "?"
        if starts:
            return _("number {place} in the queue, starts in about {time}").format(
                place=place, time=format_duration(starts))
        return _("number {place} in the queue").format(place=place)
    if state.training:
        return _("epoch {epoch}/{epochs}").format(epoch=row["epoch"], epochs=row["epochs"])
    if row["test_accuracy"] is not None:
        return _("test accuracy {accuracy}").format(accuracy=wording.accuracy(row["test_accuracy"]))
    return row["message"] or ""


def table_row(row: dict) -> dict:
    return {_("person"): row["person"], _("model"): row["model"], _("dataset"): row["dataset"],
            _("state"): wording.run_state(row["state"]), _("progress or result"): progress_or_result(row),
            _("trained"): format_duration(row["seconds"], missing=""),
            _("executed on"): row["executed_on"] or ""}


def live_runs() -> None:
    """The class at a glance, refreshed every REFRESH_EVERY seconds."""
    rows = roster.class_rows(runs_dir())
    training, slots = roster.slots(runs_dir())
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Training"), n_("{n} of {slots} slot", "{n} of {slots} slots", slots).format(
        n=training, slots=slots))
    c2.metric(_("Waiting"), sum(1 for r in rows if r["state"] == RunState.QUEUED))
    c3.metric(_("People with runs"), len({r["workspace"] for r in rows}))
    if not rows:
        st.info(_("Nobody has trained yet. Runs appear here as people press Train."))
        return
    with st.container(key="class_runs"):
        st.dataframe(pd.DataFrame([table_row(r) for r in rows]), hide_index=True, width="stretch")
    if any(r["started_at"] for r in rows):
        st.plotly_chart(charts.class_timeline(rows, time.time()), key="class_timeline",
                        config={"displayModeBar": False})
    st.download_button(_("Download the class's results (CSV)"), roster.as_csv(rows),
                       file_name="class-results.csv", mime="text/csv", key="class_csv",
                       icon=":material/download:")


def stop_a_run() -> None:
    """Stop a training run, keeping its weights, or cancel a waiting one: anybody's."""
    active = [r for r in roster.class_rows(runs_dir()) if RunState(r["state"]).active]
    if not active:
        return
    labels = {r["id"]: _("{person}: {model} on {dataset} ({state})").format(
        person=r["person"], model=r["model"], dataset=r["dataset"], state=wording.run_state(r["state"]))
        for r in active}
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    chosen = c1.selectbox(_("Stop or cancel a run"), list(labels), format_func=labels.get,
                          key="class_stop_choice")
    if c2.button(_("Stop"), key="class_stop", icon=":material/stop_circle:") and chosen:
        run = next(r for r in active if r["id"] == chosen)
        outcome = RunStore(Workspace(run["workspace"])).stop(chosen, by="your teacher")
        st.toast(markdown.text(f"{labels[chosen]}: {wording.run_state(outcome)}"))
        st.rerun()


def limits_form() -> None:
    st.subheader(_("The class's limits"))
    st.caption(_("Changed here, they hold from now on for everyone on this server (a run already "
                 "training keeps the time limit it started with)."))
    with st.form("class_limits", border=False):
        c1, c2 = st.columns(2)
        runs = c1.number_input(_("Runs waiting or training at once, per person"), min_value=1, step=1,
                               value=int(runs_per_person() or 1), key="limit_runs")
        minutes = c2.number_input(_("The longest a run trains, minutes"), min_value=0.5, step=1.0,
                                  format="%g", value=float((run_time_limit() or 60) / 60),
                                  key="limit_minutes")
        if st.form_submit_button(_("Save the limits")):
            change_class_limits(int(runs), float(minutes))
            st.success(_("Saved: they hold from now on."))


def published_models() -> None:
    st.subheader(_("Models shared with the class"))
    shelf = workspaces.class_shelf()
    infos = shelf.infos(hidden_too=True)
    if not infos:
        st.caption(_("Nobody has shared a model yet (Models page: Share with the class)."))
        return
    with st.container(key="class_models"):
        accuracy = _("test accuracy")
        st.dataframe(pd.DataFrame([{_("title"): i.shared["title"], _("by"): i.shared["by"],
                                    _("dataset"): i.dataset, accuracy: i.test_accuracy,
                                    _("hidden"): i.shared["hidden"], _("name"): i.name} for i in infos]),
                     hide_index=True, width="stretch",
                     column_config={accuracy: st.column_config.NumberColumn(format="percent")})
    by_name = {i.name: i for i in infos}
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen = c1.selectbox(_("A shared model"), list(by_name), key="class_model_choice",
                          format_func=lambda n: _("{title} by {person}").format(
                              title=by_name[n].shared["title"], person=by_name[n].shared["by"]))
    hidden = by_name[chosen].shared["hidden"]
    if c2.button(_("Show it again") if hidden else _("Hide it"), key="class_hide",
                 icon=":material/visibility_off:"):
        shelf.set_hidden(chosen, not hidden)
        st.rerun()
    if c3.button(_("Unpublish"), key="class_unpublish", icon=":material/remove_circle:"):
        shelf.unpublish(chosen, workspace="", teacher=True)
        st.rerun()


def show() -> None:
    st.fragment(shown_as_sentences(live_runs), run_every=REFRESH_EVERY)()
    stop_a_run()
    st.divider()
    limits_form()
    st.divider()
    published_models()
