"""Evaluate: which digits does a model get wrong, and what do those images look like?"""

import numpy as np
import pandas as pd
import streamlit as st

from nn.data import dataset_info
from nn.evaluation import compare, confusion_matrix, misclassified, most_confused_pairs, per_class_metrics
from ui import charts
from ui.state import (
    MY_DRAWINGS,
    TEST_SET,
    active_model_name,
    dataset,
    drawings,
    model_label,
    predictions_for,
    predictor_for,
    run_through_app,
    split_arrays,
    store,
)

run_through_app()

PAGE_SIZE = 24
st.title("Evaluate")
st.write("Run a model over a whole test set, see which digits it confuses, and look at the "
         "images it gets wrong. Click a cell of the confusion matrix to see its images.")

infos = {i.name: i for i in store().list()}
active = active_model_name()
if active is None:
    st.warning("There is no model to evaluate yet: train one on the Train page.")
    st.stop()

# --- what to evaluate ----------------------------------------------------------------------------
c1, c2 = st.columns([2, 1])
name = c1.selectbox("Model", list(infos), index=list(infos).index(active), key="eval_model",
                    format_func=lambda n: model_label(infos[n]))
info = infos[name]
splits = [TEST_SET] + ([MY_DRAWINGS] if drawings().count(info.dataset) else [])
split = c2.radio("Split", splits, horizontal=True, key="eval_split")
class_names = dataset_info(info.dataset).class_names

try:
    pred = predictions_for(name, split)
except Exception as e:  # noqa: BLE001 - a broken model file gets a sentence, not a traceback
    st.error(f"{name} could not be evaluated: {e}")
    st.stop()
images, labels = split_arrays(split, info.dataset)
matrix = confusion_matrix(pred.y_true, pred.y_pred)

m1, m2, m3, m4 = st.columns(4)
m1.metric("Accuracy", f"{pred.accuracy:.2%}")
m2.metric("Loss", f"{pred.loss:.4f}")
m3.metric("Errors", f"{pred.errors:,}")
m4.metric("Images", f"{pred.n:,}")
with st.expander("Model details"):
    st.json({k: v for k, v in info.metadata.items() if k != "history"}, expanded=False)

# --- confusion matrix -> gallery -------------------------------------------------------------------
st.subheader("Confusion matrix")
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
with left:
    event = st.plotly_chart(charts.confusion_heatmap(matrix, class_names, normalise, mute),
                            key="cm_chart", on_select="rerun", selection_mode="points",
                            config={"displayModeBar": False})

# A click on a cell sets the two filters below; after that the select boxes are free to change.
points = event.selection.points if event and event.selection else []
clicked = (str(points[0]["y"]), str(points[0]["x"])) if points else None
if clicked and clicked != st.session_state.get("cm_clicked"):
    st.session_state.cm_clicked = clicked
    names = [str(c) for c in class_names]
    st.session_state.filter_true = names.index(clicked[0])
    st.session_state.filter_pred = names.index(clicked[1])
    st.session_state.gallery_page = 1

st.subheader("Misclassified images")
anyone = [None, *range(10)]
f1, f2, f3, f4 = st.columns(4)
true_class = f1.selectbox("True label", anyone, key="filter_true",
                          format_func=lambda c: "any" if c is None else class_names[c])
pred_class = f2.selectbox("Predicted", anyone, key="filter_pred",
                          format_func=lambda c: "any" if c is None else class_names[c])
order = f3.selectbox("Order", ["confidence", "index"], key="gallery_order",
                     format_func=lambda o: "most confident first" if o == "confidence" else "by index")
wrong = misclassified(pred, true_class, pred_class, order=order)
pages = max(1, -(-len(wrong) // PAGE_SIZE))
page = f4.number_input(f"Page (of {pages})", 1, pages, key="gallery_page")
shown = wrong[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
if len(wrong) == 0:
    st.info("No misclassified images with these labels.")
else:
    st.caption(f"{len(wrong)} images; showing {len(shown)}.")
    captions = [f"#{i}: true {class_names[pred.y_true[i]]} → {class_names[pred.y_pred[i]]} "
                f"({pred.confidence[i]:.0%})" for i in shown]
    with st.container(key="gallery"):
        st.image([charts.pixels(images[i], scale=3) for i in shown], caption=captions, width=84)

    detail = st.selectbox("Look closer at one image", list(shown), key="detail_index",
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

# --- per class, compare, explore ---------------------------------------------------------------------
per_class, comparison, explore = st.tabs(["Per class", "Compare two models", "Explore the data"])
with per_class:
    rows = per_class_metrics(matrix)
    table = pd.DataFrame([{**r, "class": class_names[r["class"]]} for r in rows])
    st.plotly_chart(charts.metric_bars(rows, class_names), key="class_bars",
                    config={"displayModeBar": False})
    st.dataframe(table, hide_index=True, key="class_table", column_config={
        k: st.column_config.NumberColumn(format="percent") for k in ("precision", "recall", "f1")})

with comparison:
    same_data = [n for n, i in infos.items() if i.dataset == info.dataset and n != name]
    other = st.selectbox("Compare with", same_data, key="compare_model", index=None,
                         placeholder="Pick a second model", format_func=lambda n: model_label(infos[n]))
    if other:
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
        st.markdown(f"**Confusion matrix of {other} minus {name}** (red: {other} makes more of "
                    f"these predictions)")
        st.plotly_chart(charts.confusion_heatmap(diff["confusion_difference"], class_names,
                                                 diverging=True), key="diff_chart",
                        config={"displayModeBar": False})

with explore:
    data = dataset(info.dataset)
    e1, e2 = st.columns(2)
    label = e1.selectbox("Class", anyone, key="explore_class",
                         format_func=lambda c: "all classes" if c is None else class_names[c])
    chosen = np.arange(len(data.y_train)) if label is None else np.flatnonzero(data.y_train == label)
    last = max(1, -(-len(chosen) // 25))
    start = (e2.number_input(f"Page (of {last})", 1, last, key="explore_page") - 1) * 25
    grid = chosen[start:start + 25]
    st.image([charts.pixels(data.x_train[i], scale=3) for i in grid],
             caption=[class_names[data.y_train[i]] for i in grid], width=84)
