"""Evaluate: which digits does a model get wrong, and what do those images look like?"""

import streamlit as st

from nn.data import dataset_info
from nn.evaluation import confusion_matrix
from ui import evaluate_views as views
from ui.state import (
    MY_DRAWINGS,
    TEST_SET,
    active_model_name,
    drawings,
    model_label,
    model_store,
    predictions_for,
    split_arrays,
)
from ui.streamlit_patches import run_through_app

run_through_app()

st.title("Evaluate")
st.write("Run a model over a whole test set, see which digits it confuses, and look at the "
         "images it gets wrong. Click a cell of the confusion matrix to see its images.")

infos = {i.name: i for i in model_store().list()}
active = active_model_name()
if active is None:
    st.warning("There is no model to evaluate yet: train one on the Train page.")
    st.stop()

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
images, _ = split_arrays(split, info.dataset)
matrix = confusion_matrix(pred.y_true, pred.y_pred)

m1, m2, m3, m4 = st.columns(4)
m1.metric("Accuracy", f"{pred.accuracy:.2%}")
m2.metric("Loss", f"{pred.loss:.4f}")
m3.metric("Errors", f"{pred.errors:,}")
m4.metric("Images", f"{pred.n:,}")
with st.expander("Model details"):
    st.json({k: v for k, v in info.metadata.items() if k != "history"}, expanded=False)

st.subheader("Confusion matrix")
views.confusion(matrix, class_names, pred, images)
st.subheader("Misclassified images")
views.gallery(pred, images, class_names, name)

per_class, comparison, mapped, explore = st.tabs(
    ["Per class", "Compare two models", "Map", "Explore the data"])
with per_class:
    views.per_class(matrix, class_names)
with comparison:
    views.comparison(pred, images, class_names, name, split, infos)
with mapped:
    views.network_map(name, info, class_names)
with explore:
    views.explore(info.dataset, class_names)
