"""The Models page's work: the table of models (use, download, delete, share with the class), the
upload form (ui.files), and the learning curves of models and runs side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nn.errors import DigitLabError
from nn.export import exported
from nn.storage import class_rules
from nn.storage.class_shelf import MAX_TITLE
from nn.storage.saved_models import origin_phrase
from ui import charts, files, markdown, wording
from ui.errors import sentence
from ui.i18n import _
from ui.runs import run_store
from ui.state import model_store, set_active_model


def export_help(fmt: str) -> str:
    return {"onnx": _("ONNX: runs in onnxruntime (Python, the browser, phones); see docs/export.md"),
            "tflite": _("LiteRT (TensorFlow Lite): for phones; see docs/export.md")}[fmt]


def headers() -> dict[str, str]:
    """The model table's columns (nn's rows name them in English) in the session's language."""
    return {"name": _("name"), "dataset": _("dataset"), "model": _("model"), "epochs": _("epochs"),
            "test accuracy": _("test accuracy"), "training time": _("training time"),
            "created": _("created"), "owner": _("owner"), "by": _("by")}


def table_row(info) -> dict:
    row = info.row()
    owners = {"you": _("you"), "bundled": _("bundled"), "class": _("class")}
    return {**row, "model": wording.say(origin_phrase(info.metadata)),
            "owner": owners.get(row["owner"], row["owner"])}


def model_table() -> None:
    infos = model_store().list()
    table = pd.DataFrame([table_row(i) for i in infos])
    if "created" in table:
        table["created"] = pd.to_datetime(table["created"], errors="coerce", utc=True)
    named = headers()
    event = st.dataframe(
        table.rename(columns=named), hide_index=True, width="stretch", key="models_table", on_select="rerun",
        selection_mode="single-row",
        column_config={named["test accuracy"]: st.column_config.NumberColumn(format="percent"),
                       named["created"]: st.column_config.DatetimeColumn(format="DD MMM HH:mm")},
    )
    rows = event.selection.rows if event and event.selection else []
    if not rows:
        st.caption(_("Select a row to use, download or delete that model."))
        return
    info = infos[rows[0]]
    c1, c2, c3 = st.columns(3)
    if c1.button(_("Use {name}").format(name=info.name), key="load_model", icon=":material/check_circle:"):
        set_active_model(info.name)
        st.rerun()
    with c2:
        downloads(info)
    why_not = None
    if info.bundled:
        why_not = _("Bundled models cannot be deleted: they come with the app, for everyone")
    elif info.shared:
        person = markdown.text(info.shared["by"])
        why_not = _("{person}'s model: only they can delete it").format(person=person)
    if c3.button(_("Delete"), key="delete_model", disabled=info.read_only, icon=":material/delete:",
                 help=why_not):
        model_store().delete(info.name)
        st.rerun()
    if why_not:
        c3.caption(why_not)  # not only on hover: a greyed-out button says nothing on a phone
    if class_rules.mode() == class_rules.PER_USER and info.owner == "you":
        share(info.name)


def downloads(info) -> None:
    """The model's own file, and the formats its kind exports to (made on the first press)."""
    st.download_button(_("Download {suffix}").format(suffix=info.path.suffix), info.path.read_bytes(),
                       file_name=info.path.name, key="download_model", icon=":material/download:")
    for fmt in info.kind.export_formats:
        st.download_button(_("Download {suffix}").format(suffix=f".{fmt}"),
                           lambda fmt=fmt: exported(info.path, fmt).read_bytes(),
                           file_name=f"{info.path.stem}.{fmt}", key=f"download_{fmt}", on_click="ignore",
                           icon=":material/download:", help=export_help(fmt))


def share(name: str) -> None:
    """Publish one of the person's models to the class, or take it back."""
    store = model_store()
    published = store.published(name)
    if published is not None:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        c1.success(_("Shared with the class as **{title}**: everyone can use it and it is on the "
                     "Leaderboard.").format(title=markdown.text(published.title)), icon=":material/groups:")
        if c2.button(_("Unpublish"), key="unpublish_model", icon=":material/remove_circle:"):
            store.unpublish(name)
            st.rerun()
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    title = c1.text_input(_("Title for the class"), name, key="publish_title",
                          max_chars=MAX_TITLE)
    if c2.button(_("Share with the class"), key="publish_model", icon=":material/groups:"):
        try:
            store.publish(name, title)
        except DigitLabError as e:
            st.error(markdown.text(sentence(e)))
            return
        st.rerun()


def compare_curves() -> None:
    st.subheader(_("Compare learning curves"))
    models = [i for i in model_store().list() if i.metadata.get("history")]
    curves = {i.name: i.metadata["history"] for i in models}
    kept = {i.metadata.get("run") for i in models}
    for run in run_store().list():
        history = run.history()
        if history and run.id not in kept:  # a saved run is listed once, as its model
            curves[_("run {id}: {title}").format(id=run.id[-6:], title=run.spec.title)] = history
    chosen = st.multiselect(_("Models and runs"), list(curves), key="compare_curves",
                            placeholder=_("Pick two or more saved models or runs"))
    if chosen:
        charts.side_by_side(charts.epoch_curves({n: curves[n] for n in chosen}), key="compare_chart")


def show() -> None:
    model_table()
    st.divider()
    files.upload_form()
    compare_curves()
