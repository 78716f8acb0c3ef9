"""The Evaluate page's sections: confusion matrix, the misclassified gallery, per-class metrics,
two models compared, the data set's own images. Each reads the cached predictions (ui.state)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from nn.evaluation import compare, confusion_matrix, misclassified, most_confused_pairs, per_class_metrics
from ui import charts, wording
from ui.errors import reason
from ui.i18n import _, n_
from ui.state import (
    MY_DRAWINGS,
    TEST_SET,
    dataset,
    drawings,
    model_label,
    model_store,
    predictions_for,
    predictor_for,
    split_arrays,
)

PAGE_SIZE = 24


def images_count(n: int) -> str:
    return n_("{n} image", "{n} images", n).format(n=wording.number(n))


def any_class(class_names) -> list:
    """A filter's choices: no class (any), then each class by its index."""
    return [None, *range(len(class_names))]


def confusion(matrix: np.ndarray, class_names, pred=None, images=None) -> None:
    """The clickable matrix; a click outlines the cell, shows its images right under the matrix
    and sets the gallery's two filters."""
    left, right = st.columns([3, 1.3], gap="large")
    with right:
        normalise = st.toggle(_("Row-normalised (recall)"), key="cm_normalise")
        mute = st.toggle(_("Mute the diagonal"), value=True, key="cm_mute",
                         help=_("Hide the correct predictions so that the errors stand out"))
        st.markdown("**" + _("Most confused pairs") + "**")
        pairs = most_confused_pairs(matrix, top=8)
        if pairs:
            with st.container(key="pairs_table"):
                st.dataframe(pd.DataFrame([{_("true"): class_names[t], _("predicted"): class_names[p],
                                            _("count"): n} for t, p, n in pairs]), hide_index=True)
    names = [str(c) for c in class_names]
    points = (st.session_state.get("cm_chart") or {}).get("selection", {}).get("points") or []
    clicked = (str(points[0]["y"]), str(points[0]["x"])) if points else None
    chosen = (names.index(clicked[0]), names.index(clicked[1])) if clicked else None
    with left:
        st.plotly_chart(charts.confusion_heatmap(matrix, class_names, normalise, mute, chosen=chosen),
                        key="cm_chart", on_select="rerun", selection_mode="points",
                        config={"displayModeBar": False})
        if chosen and pred is not None:
            cell_images(pred, images, class_names, *chosen)
    if clicked and clicked != st.session_state.get("cm_clicked"):  # then the boxes are free again
        st.session_state.cm_clicked = clicked
        st.session_state.filter_true, st.session_state.filter_pred = chosen
        st.session_state.gallery_page = 1


CELL_IMAGES = 8


def cell_images(pred, images, class_names, true_class: int, pred_class: int) -> None:
    """The clicked cell's images, most confident first, where the click was."""
    found = misclassified(pred, true_class, pred_class, order="confidence") if true_class != pred_class \
        else np.flatnonzero((pred.y_true == true_class) & (pred.y_pred == pred_class))
    title = _("True {truth}, predicted {answer}: {images}").format(
        truth=class_names[true_class], answer=class_names[pred_class], images=images_count(len(found)))
    with st.container(key="cell_images"):
        st.markdown(f"**{title}**" + (_(" (the most confident first; more in the gallery below)")
                                      if len(found) > CELL_IMAGES else ""))
        shown = list(found[:CELL_IMAGES])
        if shown:
            st.image([charts.pixels(images[i], scale=3) for i in shown], width=84,
                     caption=[_("#{i} · {percent} confidence").format(
                         i=i, percent=wording.confidence(pred.confidence[i])) for i in shown])


def gallery(pred, images: np.ndarray, class_names, name: str) -> None:
    """The misclassified images of the chosen cell, most confident first, and one up close."""
    f1, f2, f3, f4 = st.columns(4)
    label = lambda c: _("any") if c is None else class_names[c]  # noqa: E731
    true_class = f1.selectbox(_("True label"), any_class(class_names), key="filter_true", format_func=label)
    pred_class = f2.selectbox(_("Predicted"), any_class(class_names), key="filter_pred", format_func=label)
    order = f3.selectbox(_("Order"), ["confidence", "index"], key="gallery_order",
                         format_func=lambda o: _("most confident first") if o == "confidence"
                         else _("by index"))
    wrong = misclassified(pred, true_class, pred_class, order=order)
    pages = max(1, -(-len(wrong) // PAGE_SIZE))
    page = f4.number_input(_("Page (of {pages})").format(pages=pages), 1, pages, key="gallery_page")
    shown = wrong[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    if len(wrong) == 0:
        st.info(_("No misclassified images with these labels."))
        return
    st.caption(_("{images}; showing {n}.").format(images=images_count(len(wrong)), n=len(shown)))
    captions = [_("#{i}: {truth} → {answer}, {percent} confidence").format(
        i=i, truth=class_names[pred.y_true[i]], answer=class_names[pred.y_pred[i]],
        percent=wording.confidence(pred.confidence[i])) for i in shown]
    with st.container(key="gallery"):
        st.image([charts.pixels(images[i], scale=3) for i in shown], caption=captions, width=84)
    up_close(pred, images, class_names, name, list(shown))


def up_close(pred, images, class_names, name: str, shown: list[int]) -> None:
    detail = st.selectbox(_("Look closer at one image"), shown, key="detail_index",
                          format_func=lambda i: f"#{i}")
    d1, d2, d3 = st.columns([1, 2, 1])
    d1.image(charts.pixels(images[detail]), width=168,
             caption=_("true {truth}, predicted {answer}").format(truth=class_names[pred.y_true[detail]],
                                                                 answer=class_names[pred.y_pred[detail]]))
    d2.plotly_chart(charts.probability_bars(pred.probabilities[detail], class_names, height=230),
                    key="detail_bars", config={"displayModeBar": False})
    if d3.toggle(_("Where did it look?"), key="detail_saliency"):
        x = images[detail] / np.float32(255)
        d3.image(charts.saliency_overlay(x, predictor_for(name).saliency(x)), width=168,
                 caption=_("red: pixels that moved the answer most"))


def class_columns() -> dict:
    """The usual names, each said in a learner's words beside it."""
    return {
        "class": st.column_config.TextColumn(_("class")),
        "precision": st.column_config.NumberColumn(
            _("precision"), format="percent",
            help=_("Of the images it called this class, the share that were")),
        "recall": st.column_config.NumberColumn(
            _("recall"), format="percent", help=_("Of this class's images, the share it recognised")),
        "f1": st.column_config.NumberColumn(
            "F1", format="percent", help=_("Precision and recall in one number (their harmonic mean)")),
        "support": st.column_config.NumberColumn(
            _("images of this class"), help=_("How many of the test images are of this class")),
    }


def per_class(matrix: np.ndarray, class_names) -> None:
    rows = per_class_metrics(matrix)
    table = pd.DataFrame([{**r, "class": class_names[r["class"]]} for r in rows])
    st.plotly_chart(charts.metric_bars(rows, class_names), key="class_bars", config={"displayModeBar": False})
    st.dataframe(table, hide_index=True, key="class_table", column_config=class_columns())


def comparison(pred, images, class_names, name: str, split: str, infos: dict) -> None:
    same_data = [n for n, i in infos.items() if i.dataset == infos[name].dataset and n != name]
    other = st.selectbox(_("Compare with"), same_data, key="compare_model", index=None,
                         placeholder=_("Pick a second model"), format_func=lambda n: model_label(infos[n]))
    if not other:
        return
    diff = compare(pred, predictions_for(other, split))
    c1, c2, c3, c4 = st.columns(4)
    gained = diff["accuracy"][1] - diff["accuracy"][0]
    c1.metric(name, wording.accuracy(diff["accuracy"][0]))
    c2.metric(other, wording.accuracy(diff["accuracy"][1]),
              ("+" if gained >= 0 else "-") + wording.accuracy(abs(gained)))  # the sign Streamlit reads
    c3.metric(_("only {name} right").format(name=name), len(diff["only_a_right"]))
    c4.metric(_("only {name} right").format(name=other), len(diff["only_b_right"]))
    one_right = _("{right} right, {wrong} wrong")
    for title, idx in ((one_right.format(right=name, wrong=other), diff["only_a_right"]),
                       (one_right.format(right=other, wrong=name), diff["only_b_right"])):
        st.markdown(f"**{title}** ({len(idx)})")
        if len(idx):
            st.image([charts.pixels(images[i], scale=3) for i in idx[:16]],
                     caption=[f"#{i}: {class_names[pred.y_true[i]]}" for i in idx[:16]], width=84)
    st.markdown(_("**Confusion matrix of {other} minus {name}** (red: {other} makes more of these "
                  "predictions)").format(other=other, name=name))
    st.plotly_chart(charts.confusion_heatmap(diff["confusion_difference"], class_names, diverging=True),
                    key="diff_chart", config={"displayModeBar": False})


def explore(dataset_name: str, class_names) -> None:
    data = dataset(dataset_name)
    e1, e2 = st.columns(2)
    label = e1.selectbox(_("Class"), any_class(class_names), key="explore_class",
                         format_func=lambda c: _("all classes") if c is None else class_names[c])
    chosen = np.arange(len(data.y_train)) if label is None else np.flatnonzero(data.y_train == label)
    last = max(1, -(-len(chosen) // 25))
    start = (e2.number_input(_("Page (of {pages})").format(pages=last), 1, last, key="explore_page") - 1) * 25
    grid = chosen[start:start + 25]
    st.image([charts.pixels(data.x_train[i], scale=3) for i in grid],
             caption=[class_names[data.y_train[i]] for i in grid], width=84)


def network_map(name: str, info, class_names) -> None:
    """The test set on the map of the model's last hidden layer, its mistakes marked (on request:
    it takes a second or two the first time for a model)."""
    from nn.kinds.kind import NotANetwork
    from ui.inside_views import test_map

    if not st.toggle(_("Show the map of what it has learned"), key="eval_map"):
        st.caption(_("A map of the test images as the network sees them, with its mistakes marked."))
        return
    try:
        test_map(name, predictor_for(name), info, class_names)
    except NotANetwork as e:
        st.info(_(str(e)).capitalize() + ".")  # its kind's inside_refusal


def show(active: str) -> None:
    """A model (the active one first) over a split: its scores, the confusion matrix and the images
    behind each cell, per-class figures, two models compared, the map and the data."""
    infos = {i.name: i for i in model_store().list()}
    c1, c2 = st.columns([2, 1])
    name = c1.selectbox(_("Model"), list(infos), index=list(infos).index(active), key="eval_model",
                        format_func=lambda n: model_label(infos[n]))
    info = infos[name]
    splits = [TEST_SET] + ([MY_DRAWINGS] if drawings().count(info.dataset) else [])
    split = c2.radio(_("Split"), splits, horizontal=True, key="eval_split",
                     format_func=lambda s: _("test set") if s == TEST_SET else _("my drawings"))
    class_names = wording.class_names(info.dataset, info.metadata)
    try:
        pred = predictions_for(name, split)
    except Exception as e:  # noqa: BLE001 - a broken model file gets a sentence, not a traceback
        st.error(_("{name} could not be evaluated: {why}").format(name=name, why=reason(e)))
        return
    images, _labels = split_arrays(split, info.dataset)
    matrix = confusion_matrix(pred.y_true, pred.y_pred, len(class_names))

    m1, m2, m3, m4 = st.columns(4)
    m1.metric(_("Accuracy"), wording.accuracy(pred.accuracy))
    m2.metric(_("Loss"), wording.number(round(pred.loss, 4)))
    m3.metric(_("Errors"), wording.number(pred.errors))
    m4.metric(_("Images"), wording.number(pred.n))
    with st.expander(_("Model details")):
        st.json({k: v for k, v in info.metadata.items() if k != "history"}, expanded=False)

    st.subheader(_("Confusion matrix"))
    confusion(matrix, class_names, pred, images)
    st.subheader(_("Misclassified images"))
    gallery(pred, images, class_names, name)

    by_class, two_models, mapped, the_data = st.tabs(
        [_("Per class"), _("Compare two models"), _("Map"), _("Explore the data")])
    with by_class:
        per_class(matrix, class_names)
    with two_models:
        comparison(pred, images, class_names, name, split, infos)
    with mapped:
        network_map(name, info, class_names)
    with the_data:
        explore(info.dataset, class_names)
