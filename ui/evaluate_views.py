"""The Evaluate page's sections: confusion matrix, the misclassified gallery, per-class metrics,
two models compared, the data set's own images. Each reads the cached predictions (ui.state)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from nn import words
from nn.data import class_names as class_names_of
from nn.evaluation import compare, confusion_matrix, misclassified, most_confused_pairs, per_class_metrics
from ui import charts
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


def any_class(class_names) -> list:
    """A filter's choices: no class (any), then each class by its index."""
    return [None, *range(len(class_names))]


def confusion(matrix: np.ndarray, class_names, pred=None, images=None) -> None:
    """The clickable matrix; a click outlines the cell, shows its images right under the matrix
    and sets the gallery's two filters."""
    left, right = st.columns([3, 1.3], gap="large")
    with right:
        normalise = st.toggle("Row-normalised (recall)", key="cm_normalise")
        mute = st.toggle("Mute the diagonal", value=True, key="cm_mute",
                         help="Hide the correct predictions so that the errors stand out")
        st.markdown("**Most confused pairs**")
        pairs = most_confused_pairs(matrix, top=8)
        if pairs:
            with st.container(key="pairs_table"):
                st.dataframe(pd.DataFrame([{"true": class_names[t], "predicted": class_names[p], "count": n}
                                           for t, p, n in pairs]), hide_index=True)
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
    title = (f"True {class_names[true_class]}, predicted {class_names[pred_class]}: "
             f"{words.count(len(found), 'image')}")
    with st.container(key="cell_images"):
        st.markdown(f"**{title}**" + (" (the most confident first; more in the gallery below)"
                                                   if len(found) > CELL_IMAGES else ""))
        shown = list(found[:CELL_IMAGES])
        if shown:
            st.image([charts.pixels(images[i], scale=3) for i in shown], width=84,
                     caption=[f"#{i} · {words.confidence(pred.confidence[i])} confidence" for i in shown])


def gallery(pred, images: np.ndarray, class_names, name: str) -> None:
    """The misclassified images of the chosen cell, most confident first, and one up close."""
    f1, f2, f3, f4 = st.columns(4)
    label = lambda c: "any" if c is None else class_names[c]  # noqa: E731
    true_class = f1.selectbox("True label", any_class(class_names), key="filter_true", format_func=label)
    pred_class = f2.selectbox("Predicted", any_class(class_names), key="filter_pred", format_func=label)
    order = f3.selectbox("Order", ["confidence", "index"], key="gallery_order",
                         format_func=lambda o: "most confident first" if o == "confidence" else "by index")
    wrong = misclassified(pred, true_class, pred_class, order=order)
    pages = max(1, -(-len(wrong) // PAGE_SIZE))
    page = f4.number_input(f"Page (of {pages})", 1, pages, key="gallery_page")
    shown = wrong[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    if len(wrong) == 0:
        st.info("No misclassified images with these labels.")
        return
    st.caption(f"{words.count(len(wrong), 'image')}; showing {len(shown)}.")
    captions = [f"#{i}: {class_names[pred.y_true[i]]} → {class_names[pred.y_pred[i]]}, "
                f"{words.confidence(pred.confidence[i])} confidence" for i in shown]
    with st.container(key="gallery"):
        st.image([charts.pixels(images[i], scale=3) for i in shown], caption=captions, width=84)
    up_close(pred, images, class_names, name, list(shown))


def up_close(pred, images, class_names, name: str, shown: list[int]) -> None:
    detail = st.selectbox("Look closer at one image", shown, key="detail_index",
                          format_func=lambda i: f"#{i}")
    d1, d2, d3 = st.columns([1, 2, 1])
    d1.image(charts.pixels(images[detail]), width=168,
             caption=f"true {class_names[pred.y_true[detail]]}, predicted {class_names[pred.y_pred[detail]]}")
    d2.plotly_chart(charts.probability_bars(pred.probabilities[detail], class_names, height=230),
                    key="detail_bars", config={"displayModeBar": False})
    if d3.toggle("Where did it look?", key="detail_saliency"):
        x = images[detail] / np.float32(255)
        d3.image(charts.saliency_overlay(x, predictor_for(name).saliency(x)), width=168,
                 caption="red: pixels that moved the answer most")


# The usual names, each said in a learner's words beside it.
CLASS_COLUMNS = {
    "precision": st.column_config.NumberColumn(
        "precision", format="percent", help="Of the images it called this class, the share that were"),
    "recall": st.column_config.NumberColumn(
        "recall", format="percent", help="Of this class's images, the share it recognised"),
    "f1": st.column_config.NumberColumn(
        "F1", format="percent", help="Precision and recall in one number (their harmonic mean)"),
    "support": st.column_config.NumberColumn(
        "images of this class", help="How many of the test images are of this class"),
}


def per_class(matrix: np.ndarray, class_names) -> None:
    rows = per_class_metrics(matrix)
    table = pd.DataFrame([{**r, "class": class_names[r["class"]]} for r in rows])
    st.plotly_chart(charts.metric_bars(rows, class_names), key="class_bars", config={"displayModeBar": False})
    st.dataframe(table, hide_index=True, key="class_table", column_config=CLASS_COLUMNS)


def comparison(pred, images, class_names, name: str, split: str, infos: dict) -> None:
    same_data = [n for n, i in infos.items() if i.dataset == infos[name].dataset and n != name]
    other = st.selectbox("Compare with", same_data, key="compare_model", index=None,
                         placeholder="Pick a second model", format_func=lambda n: model_label(infos[n]))
    if not other:
        return
    diff = compare(pred, predictions_for(other, split))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(name, f"{diff['accuracy'][0]:.2%}")
    c2.metric(other, f"{diff['accuracy'][1]:.2%}", f"{diff['accuracy'][1] - diff['accuracy'][0]:+.2%}")
    c3.metric(f"only {name} right", len(diff["only_a_right"]))
    c4.metric(f"only {other} right", len(diff["only_b_right"]))
    for title, idx in ((f"{name} right, {other} wrong", diff["only_a_right"]),
                       (f"{other} right, {name} wrong", diff["only_b_right"])):
        st.markdown(f"**{title}** ({len(idx)})")
        if len(idx):
            st.image([charts.pixels(images[i], scale=3) for i in idx[:16]],
                     caption=[f"#{i}: {class_names[pred.y_true[i]]}" for i in idx[:16]], width=84)
    st.markdown(f"**Confusion matrix of {other} minus {name}** "
                f"(red: {other} makes more of these predictions)")
    st.plotly_chart(charts.confusion_heatmap(diff["confusion_difference"], class_names, diverging=True),
                    key="diff_chart", config={"displayModeBar": False})


def explore(dataset_name: str, class_names) -> None:
    data = dataset(dataset_name)
    e1, e2 = st.columns(2)
    label = e1.selectbox("Class", any_class(class_names), key="explore_class",
                         format_func=lambda c: "all classes" if c is None else class_names[c])
    chosen = np.arange(len(data.y_train)) if label is None else np.flatnonzero(data.y_train == label)
    last = max(1, -(-len(chosen) // 25))
    start = (e2.number_input(f"Page (of {last})", 1, last, key="explore_page") - 1) * 25
    grid = chosen[start:start + 25]
    st.image([charts.pixels(data.x_train[i], scale=3) for i in grid],
             caption=[class_names[data.y_train[i]] for i in grid], width=84)


def network_map(name: str, info, class_names) -> None:
    """The test set on the map of the model's last hidden layer, its mistakes marked (on request:
    it takes a second or two the first time for a model)."""
    from nn.kinds.kind import NotANetwork
    from ui.inside_views import test_map

    if not st.toggle("Show the map of what it has learned", key="eval_map"):
        st.caption("A map of the test images as the network sees them, with its mistakes marked.")
        return
    try:
        test_map(name, predictor_for(name), info, class_names)
    except NotANetwork as e:
        st.info(f"{str(e).capitalize()}.")


def show(active: str) -> None:
    """A model (the active one first) over a split: its scores, the confusion matrix and the images
    behind each cell, per-class figures, two models compared, the map and the data."""
    infos = {i.name: i for i in model_store().list()}
    c1, c2 = st.columns([2, 1])
    name = c1.selectbox("Model", list(infos), index=list(infos).index(active), key="eval_model",
                        format_func=lambda n: model_label(infos[n]))
    info = infos[name]
    splits = [TEST_SET] + ([MY_DRAWINGS] if drawings().count(info.dataset) else [])
    split = c2.radio("Split", splits, horizontal=True, key="eval_split")
    class_names = class_names_of(info.dataset, info.metadata)
    try:
        pred = predictions_for(name, split)
    except Exception as e:  # noqa: BLE001 - a broken model file gets a sentence, not a traceback
        st.error(f"{name} could not be evaluated: {e}")
        return
    images, _ = split_arrays(split, info.dataset)
    matrix = confusion_matrix(pred.y_true, pred.y_pred, len(class_names))

    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Accuracy", f"{pred.accuracy:.2%}")
    m2.metric("Loss", f"{pred.loss:.4f}")
    m3.metric("Errors", f"{pred.errors:,}")
    m4.metric("Images", f"{pred.n:,}")
    with st.expander("Model details"):
        st.json({k: v for k, v in info.metadata.items() if k != "history"}, expanded=False)

    st.subheader("Confusion matrix")
    confusion(matrix, class_names, pred, images)
    st.subheader("Misclassified images")
    gallery(pred, images, class_names, name)

    by_class, two_models, mapped, the_data = st.tabs(
        ["Per class", "Compare two models", "Map", "Explore the data"])
    with by_class:
        per_class(matrix, class_names)
    with two_models:
        comparison(pred, images, class_names, name, split, infos)
    with mapped:
        network_map(name, info, class_names)
    with the_data:
        explore(info.dataset, class_names)
