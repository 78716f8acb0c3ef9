"""The Draw page's working part: canvas (or upload) -> what the model sees -> the answers.

It runs as a fragment: a stroke re-runs only this part, not the sidebar or the model list.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from nn.data import dataset_info
from nn.preprocess import DotError, EmptyImageError, ImageError, open_image, to_mnist
from nn.storage.drawings import DrawingsError
from nn.storage.workspaces import WorkspaceError
from ui import charts, inside_views
from ui.state import drawings, model_info, model_store, predictor_for

CANVAS = 280
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp"]


def show(active: str) -> None:
    left, middle, right = st.columns([1.5, 1.0, 1.8], gap="medium")
    with left:
        mode = st.segmented_control("Input", ["Draw", "Upload"], default="Draw", key="input_mode")
        original = uploaded() if mode == "Upload" else drawn()
    image28 = readable(original)
    if image28 is None:
        with middle:
            st.info("Draw a digit on the black square" if mode != "Upload" else "Upload an image of a digit",
                    icon=":material/draw:")
        return
    with middle:
        st.markdown("**What the model sees**")
        st.image(charts.pixels(image28), caption="28×28, centred like MNIST", width=196)
        saliency = st.toggle("Where did it look?", key="show_saliency",
                             help="The gradient of the top class with respect to each pixel.")
    with right:
        answers = answer_columns(active, image28, saliency)
        if active in answers and model_info(active).dataset == "mnist":
            teach(original, image28, active, answers[active])
    # after the answers, so that they are on screen before this starts
    if st.toggle("Look inside the network", key="look_inside",
                 help="Every layer's view of your drawing, what the first layer learned, the training "
                      "images most like it and where it lands on a map of what the network has learned."):
        inside_views.show(active, image28)


def drawn():
    stroke = st.slider("Stroke width", 6, 40, 20, key="stroke_width")
    version = st.session_state.setdefault("canvas_version", 0)
    result = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                       height=CANVAS, width=CANVAS, drawing_mode="freedraw",
                       return_image_data=True, key=f"canvas-{version}")
    if st.button("Clear", key="clear_canvas", icon=":material/delete:"):
        st.session_state.canvas_version = version + 1  # a new canvas: the component has no clear
        st.rerun(scope="fragment")
    return result.image_data


def uploaded():
    upload = st.file_uploader("A photo or scan of one digit", type=UPLOAD_TYPES, key="upload")
    if upload is None:
        return None
    try:
        original = np.asarray(open_image(upload.getvalue()).convert("RGB"))
    except ImageError as e:
        st.error(f"That file can't be used: {e}.")
        return None
    st.image(original, caption=upload.name, width=CANVAS)
    return original


def readable(original):
    """The 28x28 form of the input, or None (with a message when there is something to say)."""
    if original is None:
        return None
    try:
        return to_mnist(original)
    except DotError as e:
        st.warning(f"{str(e).capitalize()}.", icon=":material/info:")
    except EmptyImageError:
        pass
    except ImageError as e:
        st.error(f"That image can't be read: {e}.")
    return None


def answer_columns(active: str, image28: np.ndarray, saliency: bool) -> dict:
    others = [i.name for i in model_store().list() if i.name != active]
    extra = st.multiselect("Compare with", others, key="compare_models",
                           placeholder="Add more models to compare")
    names = [active, *extra]
    columns = st.columns(len(names)) if len(names) > 1 else [st.container()]
    answers = {}
    for name, column in zip(names, columns):
        with column:
            answers[name] = answer(name, image28, saliency)
    return {name: a for name, a in answers.items() if a is not None}


def answer(name: str, image28: np.ndarray, saliency: bool):
    """One model's answer: the class, how sure it is, all ten probabilities."""
    dataset = model_info(name).dataset
    class_names = dataset_info(dataset).class_names
    try:
        predictor = predictor_for(name)
    except Exception as e:  # noqa: BLE001 - a broken file must not take the page down
        st.error(f"{name} could not be loaded: {e}")
        return None
    p = predictor.predict_one(image28)
    label = class_names[p.label]
    st.caption(name)
    st.markdown(f"<div data-testid='answer' style='font-size:3.2rem;font-weight:700;line-height:1'>"
                f"{label}</div>", unsafe_allow_html=True)
    st.markdown(f"**{p.confidence:.0%}** sure")
    if p.is_close_call:
        st.warning(f"{label} or {class_names[p.runner_up]}?")
    st.html(charts.probability_html(p.probabilities, class_names))
    if dataset != "mnist":
        st.caption("A clothing model: it answers with Fashion-MNIST classes.")
    if saliency:
        st.image(charts.saliency_overlay(image28, predictor.saliency(image28)),
                 caption="red: pixels that move the answer most", width=196)
    return p


def teach(original, image28: np.ndarray, active: str, prediction) -> None:
    with st.expander("Wrong? Tell it"):
        right_label = st.selectbox("The right digit", list(range(10)), index=prediction.label,
                                   key="right_label")
        if st.button("Save to my drawings", key="save_drawing"):
            try:
                drawings().add(np.asarray(original), image28, right_label, "mnist",
                               predicted=prediction.label, model=active)
                st.success(f"Saved as a {right_label}. The Evaluate page can score models on "
                           "your drawings.")
            except (DrawingsError, WorkspaceError) as e:
                st.error(str(e))
