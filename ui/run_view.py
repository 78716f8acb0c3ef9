"""One run on the Train page: its live progress and charts, and what can be done with it.

Two fragments follow a run: its progress line and buttons, every second while it trains, and its
charts. The charts cost the person's browser the most (about 0.13 s of CPU for each redraw), so
while other people's runs wait in the queue (a class is training) they are redrawn every
CLASS_CHARTS_EVERY seconds instead of every second.
"""

from __future__ import annotations

import json
import socket

import streamlit as st

from nn.errors import DigitLabError
from nn.progress import Progress, format_duration
from nn.runs.store import Run, RunError, RunState
from nn.storage.saved_models import MAX_NAME
from nn.training_config import TEST_IMAGES
from ui import charts, markdown, wording
from ui.errors import reason, shown_as_sentences
from ui.i18n import _, n_
from ui.runs import NEW, open_run, progress_of, queue_view, run_store, scheduler, watch_states
from ui.state import model_store, set_active_model

LIVE_EVERY = 1.0  # seconds between refreshes of a run that is training or next in the queue ...
WAITING_EVERY = (5.0, 10.0)  # ... second in the queue, or further back (its place changes slowly)
CLASS_CHARTS_EVERY = 3.0  # seconds between redraws of the charts while others' runs wait
WATCHED_KEY = "run_watched"  # the active run this session's view showed last


def show(run: Run, drawn: tuple) -> None:
    """The run's view; `drawn` is what the page shows of the person's runs (ui.runs.states)."""
    try:
        status = run.status()
        spec = run.spec
    except RunError:
        st.info(_("That run is gone (cancelled or deleted)."))
        return
    state = RunState(status["state"])
    st.subheader(spec.title, anchor=False)
    st.caption(details(run, status))
    if state.active:
        st.session_state[WATCHED_KEY] = run.id
    else:
        # Watched to its end (whichever look saw it end): its result is brought into view. The key
        # stays: a rerun may cut this one short before the page has the script (INTO_VIEW).
        _result(run, status, into_view=st.session_state.get(WATCHED_KEY) == run.id)
    view = queue_view(run if state is RunState.QUEUED else None)
    position = view.position(run) if state is RunState.QUEUED else None
    every = LIVE_EVERY if position in (None, 1) else WAITING_EVERY[position > 2]
    st.fragment(shown_as_sentences(_live), run_every=every if state.active else None)(run, state, drawn)
    if state is not RunState.QUEUED:
        charts_every = CLASS_CHARTS_EVERY if view.waiting else LIVE_EVERY
        st.fragment(shown_as_sentences(_charts), run_every=charts_every if state.training else None)(run)


def details(run: Run, status: dict) -> str:
    c = run.spec.config
    when = wording.moment(run.spec.created)
    settings = " · ".join(map(wording.say, run.kind.settings_words(c)))
    images = n_("{n} image", "{n} images", c.subset).format(n=wording.number(c.subset)) if c.subset \
        else _("all images")
    where = f" · {trained_where(status['executed_on'])}" if status.get("executed_on") else ""
    return _("Run {id} · submitted {when} · {settings} · {images} · seed {seed}").format(
        id=run.id, when=when, settings=settings, images=images, seed=c.seed) + where


def trained_where(executed_on: str) -> str:
    """Where a run trained, in a learner's words: this server, or a machine of the class's cluster
    (nn.runs.worker.where and nn.runs.remote write 'host (process N)' and 'host, Ray node ID')."""
    host = executed_on.split(" (")[0].split(",")[0].strip()
    if "Ray node" in executed_on:
        return _("trained on {host}, a machine of the class's cluster").format(host=host)
    if host == socket.gethostname():
        return _("trained on this server")
    return _("trained on the machine {host}").format(host=host)


def progress_line(p: Progress, done: bool) -> str:
    """Where the training is; once its last batch is done, what it does meanwhile (the test set)."""
    if done:
        last = _("done")
    elif p.fraction >= 1:
        last = _("testing on {n} images…").format(n=wording.number(TEST_IMAGES))
    else:
        last = _("ETA {time}").format(time=format_duration(p.eta))
    return _("epoch {epoch}/{epochs} · batch {batch}/{batches} · {speed} images/s · elapsed {elapsed} · "
             "{last}").format(epoch=p.current_epoch, epochs=p.epochs, batch=p.batch,
                              batches=p.batches_per_epoch, speed=wording.number(round(p.samples_per_second)),
                              elapsed=format_duration(p.elapsed), last=last)


def _live(run: Run, shown: RunState, drawn: tuple) -> None:
    """The part of the view that follows the run; the rest of the page stays as it is until the
    run, or another of the person's runs, changes state."""
    try:
        status = run.status()
    except RunError:
        status = {}
    if not status:  # cancelled or deleted in another tab
        open_run(None)
        st.rerun(scope="app")
    state = RunState(status["state"])
    if state.active != shown.active or (shown is RunState.QUEUED and state.training):
        st.rerun(scope="app")  # it started, ended or was resumed: the page changes with it
    if state.active:
        watch_states(drawn)
    p = progress_of(run)
    if state is RunState.QUEUED:
        _waiting(run, status.get("message") or "")
    elif state is RunState.PREPARING or not p.batches_per_epoch:
        st.progress(0.0, text=f"{wording.run_message(status.get('message', 'preparing')).capitalize()}…")
    else:
        st.progress(p.fraction, text=progress_line(p, not state.active))
    if state.training and st.button(_("Stop"), key="train_stop", icon=":material/stop_circle:",
                                    type="primary"):
        run_store().stop(run.id)
        st.toast(_("Stopping at the next batch…"))


def _waiting(run: Run, message: str) -> None:
    st.progress(0.0, text=wording.say(queue_view(run).waits_for(run, message, scheduler().slots)))
    if st.button(_("Cancel"), key="train_cancel", icon=":material/cancel:"):
        if run_store().stop(run.id) == "cancelled":
            open_run(NEW)
            st.rerun(scope="app")


def _charts(run: Run) -> None:
    p = progress_of(run)
    if not p.batches:
        return
    step = "tree step" if run.kind.name == "forest" else "batch"
    charts.side_by_side(charts.batch_curves(p.batches, p.batches_per_epoch, step), key="batch_chart")
    if p.history:
        charts.side_by_side(charts.epoch_curves({"": p.history}), key="epoch_chart")
    if p.hidden_weights is not None:
        st.image(charts.weight_tiles(p.hidden_weights),
                 caption=_("The hidden units' weights, live (red excites, blue inhibits)"))


# The result sits above the charts that were being watched, out of view on a phone's screen. Once
# per run and page: again while the page is still laying out (a busy server sends it in parts),
# never once the person has scrolled themselves.
INTO_VIEW = """<script>
(() => {
  const shown = (window.digitLabResultsShown ||= new Set());
  if (shown.has(%(run)s)) return;
  shown.add(%(run)s);
  let moved = false;
  for (const e of ['wheel', 'touchmove', 'keydown'])
    document.addEventListener(e, () => { moved = true; }, {once: true, passive: true});
  const bring = () => {
    if (!moved) document.querySelector('.st-key-run_result')?.scrollIntoView({block: 'start'});
  };
  for (const ms of [100, 500, 1500, 3000]) setTimeout(bring, ms);
})();
</script>"""


def _result(run: Run, status: dict, into_view: bool = False) -> None:
    with st.container(key="run_result"):
        _outcome(run, status)
    if into_view:
        st.html(INTO_VIEW % {"run": json.dumps(run.id)}, unsafe_allow_javascript=True)


def _outcome(run: Run, status: dict) -> None:
    state = RunState(status["state"])
    if state is RunState.FAILED:
        st.error(_("Training failed: {why}").format(why=status.get("message")))
    elif state is RunState.INTERRUPTED:
        st.warning(_("This run was {what}.").format(what=status.get("message")),
                   icon=":material/pause_circle:")
        if st.button(_("Resume"), key="train_resume", type="primary", icon=":material/play_arrow:"):
            run_store().resume(run.id)
            scheduler().wake()
            st.rerun()
    else:
        _save_form(run, status)
    if st.button(_("Delete this run"), key="delete_run", icon=":material/delete:"):
        run_store().delete(run.id)
        open_run(None)
        st.rerun()


def _save_form(run: Run, status: dict) -> None:
    counters = run.counters()
    if status["state"] == RunState.FINISHED:
        epochs = counters.get("epoch", 0)
        done = n_("Finished {n} epoch", "Finished {n} epochs", epochs).format(n=wording.number(epochs))
    else:
        p = Progress(**{k: counters.get(k, 0) for k in ("epochs", "batches_per_epoch", "epoch", "batch")})
        who = run.stopped_by()
        at = {"epoch": p.current_epoch, "batch": p.batch}
        if who:
            done = _("Stopped by {who} at epoch {epoch}, batch {batch}").format(
                who=wording.stopper(who), **at)
        else:
            done = _("Stopped at epoch {epoch}, batch {batch}").format(**at)
    tested = status.get("tested_on")
    tested_on = _(" on {what}").format(what=markdown.text(tested)) if tested else ""
    st.success(_("{done} in {time}: test accuracy **{accuracy}**{tested_on}.").format(
        done=done, time=format_duration(status.get("seconds")),
        accuracy=wording.accuracy(status["test_accuracy"]), tested_on=tested_on))
    saved = run.saved_as()
    if saved:
        st.info(_("Saved as **{name}** and made the active model.").format(name=saved[-1]))
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input(_("Name"), run_store().default_model_name(run, model_store()), key="save_name",
                         max_chars=MAX_NAME)
    if c2.button(_("Save model"), key="save_model", type="primary", icon=":material/save:"):
        try:
            info = run_store().save_as_model(run.id, name.strip(), model_store())
        except DigitLabError as e:
            st.error(reason(e))
        else:
            set_active_model(info.name)
            st.rerun()
