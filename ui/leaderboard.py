"""The class's leaderboard: the models people published, ranked by test accuracy (ties: fewer
parameters); any entry opens to show what made it good: its layers, settings and curves."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nn.data import DATASETS
from nn.kinds import registry as kinds
from nn.presets import source_from_dict
from nn.progress import format_duration
from nn.storage import workspaces
from nn.storage.saved_models import origin_phrase
from nn.training_config import TrainConfig
from ui import charts, markdown, tables, wording
from ui.i18n import _
from ui.state import model_store, set_active_model
from ui.workspace import current


def show() -> None:
    board = workspaces.class_shelf(current()).leaderboard()
    if not board:
        st.info(_("Nobody has shared a model with the class yet. Save a model, then share it from the "
                  "Models page: it appears here, ranked among the others."), icon=":material/leaderboard:")
        return
    titles = {r["dataset"]: DATASETS[r["dataset"]].title if r["dataset"] in DATASETS else r["dataset_title"]
              for r in board}  # MNIST first, then the class's own sets
    datasets = [d for d in DATASETS if d in titles] + [d for d in titles if d not in DATASETS]
    dataset = st.segmented_control(_("Data set"), datasets, default=datasets[0], key="board_dataset",
                                   format_func=lambda n: markdown.text(titles[n])) or datasets[0]
    rows = [r for r in board if r["dataset"] == dataset]
    drawn = dataset not in DATASETS
    if drawn:
        st.caption(_("Each model was scored on the drawings held out when it trained (whole people, "
                     "never seen in training). The set grows as the class draws, so later models may "
                     "have been scored on more people: the column says on whom."))
    infos = {i.name: i for i in model_store().list()}
    mine = {name for name, i in infos.items() if i.shared and i.shared["workspace"] == current().id}
    if places := [r["rank"] for r in rows if r["name"] in mine]:
        st.success(_("Your best shared model is number {place} of {count}.").format(
            place=min(places), count=len(rows)), icon=":material/emoji_events:")
    accuracy, parameters = _("test accuracy"), _("parameters")
    table = pd.DataFrame([{_("rank"): r["rank"], _("title"): r["title"],
                           _("by"): r["by"] + (_(" (you)") if r["name"] in mine else ""),
                           accuracy: r["test_accuracy"],
                           **({_("tested on"): r.get("tested_on") or ""} if drawn else {}),
                           parameters: r["params"],
                           _("training time"): format_duration(r["training_seconds"], missing=""),
                           _("model"): origin_of(infos.get(r["name"]), r["model"])} for r in rows])
    event = st.dataframe(table, hide_index=True, width="stretch", key="leaderboard", on_select="rerun",
                         selection_mode="single-row",
                         column_config={accuracy: st.column_config.NumberColumn(format="percent"),
                                        parameters: st.column_config.NumberColumn(format="localized")})
    if len(rows) > 1:
        st.plotly_chart(charts.standing(rows, mine), key="board_standing", config={"displayModeBar": False})
    chosen = event.selection.rows if event and event.selection else []
    if not chosen:
        st.caption(_("Select a row to see what made that model good, and to use it."))
        return
    entry(rows[chosen[0]])


def origin_of(info, written: str) -> str:
    """Where a model came from, in the session's language (`written`, nn's English, if it is gone)."""
    return written if info is None else wording.say(origin_phrase(info.metadata))


def source_of(metadata: dict):
    """The preset or custom architecture a model was trained from, if it says."""
    try:
        if metadata.get("spec"):
            return source_from_dict({"spec": metadata["spec"]})
        if metadata.get("preset"):
            return source_from_dict({"preset": metadata["preset"]})
    except (KeyError, ValueError, TypeError):
        pass  # an architecture this version does not know
    return None


def entry(row: dict) -> None:
    """One published model, opened: its layers, its settings and its learning curves."""
    info = next((i for i in model_store().list() if i.name == row["name"]), None)
    if info is None:
        st.warning(_("That model was just unpublished."))
        return
    title, person = markdown.text(row["title"]), markdown.text(row["by"])
    st.subheader(_("{title} by {person}").format(title=title, person=person), anchor=False)
    meta = info.metadata
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    source = source_of(meta)
    said = [f"**{wording.say(origin_phrase(meta))}**"]
    if meta.get("config") and source is not None:
        config = TrainConfig.from_dict(meta["config"])
        said += map(wording.say, kinds.of_source(source).settings_words(config))
    c1.write(" · ".join(said))
    if c2.button(_("Use this model"), key="board_use", icon=":material/check_circle:"):
        set_active_model(info.name)
        st.rerun()
    if source is not None:
        classes = len(meta.get("classes") or ()) or 10  # an own set's, else the digits
        tables.layers(kinds.of_source(source).describe(source, classes), key="board_layers")
    if meta.get("history"):
        charts.side_by_side(charts.epoch_curves({row["title"]: meta["history"]}), key="board_curves")
