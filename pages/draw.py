"""Draw: a digit on the canvas (or an uploaded photo) -> what the model sees -> what it thinks."""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from nn.data import dataset_info
from nn.drawings import DrawingsError
from nn.preprocess import DotError, EmptyImageError, ImageError, open_image, to_mnist
from ui import charts
from ui.state import active_model_name, drawings, model_info, predictor_for, run_through_app, store

run_through_app()

CANVAS = 280
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp"]

st.title("Draw")
st.write("Draw a digit with the mouse (or a finger), or upload a photo of one. The network "
         "reads it the moment you lift the pen.")

active = active_model_name()
if active is None:
    st.warning("There is no model to ask yet: train one on the Train page.")
    st.stop()

# --- input --------------------------------------------------------------------------------
left, middle, right = st.columns([1.5, 1.0, 1.8], gap="medium")
with left:
    mode = st.segmented_control("Input", ["Draw", "Upload"], default="Draw", key="input_mode")
    original = None
    if mode == "Upload":
        upload = st.file_uploader("A photo or scan of one digit", type=UPLOAD_TYPES, key="upload")
        if upload is not None:
            try:
                original = np.asarray(open_image(upload.getvalue()).convert("RGB"))
                st.image(original, caption=upload.name, width=CANVAS)
            except ImageError as e:
                st.error(f"That file can't be used: {e}.")
    else:
        stroke = st.slider("Stroke width", 6, 40, 20, key="stroke_width")
        version = st.session_state.setdefault("canvas_version", 0)
        result = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                           height=CANVAS, width=CANVAS, drawing_mode="freedraw",
                           return_image_data=True, key=f"canvas-{version}")
        if st.button("Clear", key="clear_canvas", icon=":material/delete:"):
            st.session_state.canvas_version = version + 1
            st.rerun()
        original = result.image_data

try:
    image28 = to_mnist(original) if original is not None else None
except DotError as e:
    image28 = None
    st.warning(f"{str(e).capitalize()}.", icon=":material/info:")
except EmptyImageError:
    image28 = None
except ImageError as e:
    image28 = None
    st.error(f"That image can't be read: {e}.")

if image28 is None:
    with middle:
        st.info("Draw a digit on the black square" if mode == "Draw" else "Upload an image of a digit",
                icon=":material/draw:")
    st.stop()

with middle:
    st.markdown("**What the model sees**")
    st.image(charts.pixels(image28), caption="28×28, centred like MNIST", width=196)
    show_saliency = st.toggle("Where did it look?", key="show_saliency",
                              help="The gradient of the top class with respect to each pixel.")

# --- predictions ------------------------------------------------------------------------------
others = [i.name for i in store().list() if i.name != active]
with right:
    extra = st.multiselect("Compare with", others, key="compare_models",
                           placeholder="Add more models to compare")
    names = [active, *extra]
    columns = st.columns(len(names)) if len(names) > 1 else [st.container()]
    answers = {}
    for name, column in zip(names, columns):
        info = model_info(name)
        class_names = dataset_info(info.dataset).class_names
        with column:
            try:
                predictor = predictor_for(name)
            except Exception as e:  # noqa: BLE001 - a broken file must not take the page down
                st.error(f"{name} could not be loaded: {e}")
                continue
            p = predictor.predict_one(image28)
            answers[name] = p
            label = class_names[p.label]
            st.caption(name)
            st.markdown(f"<div data-testid='answer' style='font-size:3.2rem;font-weight:700;"
                        f"line-height:1'>{label}</div>", unsafe_allow_html=True)
            st.markdown(f"**{p.confidence:.0%}** sure")
            if p.is_close_call:
                st.warning(f"{label} or {class_names[p.runner_up]}?")
            st.plotly_chart(charts.probability_bars(p.probabilities, class_names),
                            key=f"bars-{name}", config={"displayModeBar": False})
            if info.dataset != "mnist":
                st.caption("A clothing model: it answers with Fashion-MNIST classes.")
            if show_saliency:
                st.image(charts.saliency_overlay(image28, predictor.saliency(image28)),
                         caption="red: pixels that move the answer most", width=196)

# --- teach it ----------------------------------------------------------------------------------
if active in answers and model_info(active).dataset == "mnist":
    with left, st.expander("Wrong? Tell it"):
        right_label = st.selectbox("The right digit", list(range(10)), index=answers[active].label,
                                   key="right_label")
        if st.button("Save to my drawings", key="save_drawing"):
            try:
                drawings().add(np.asarray(original), image28, right_label, "mnist",
                                   predicted=answers[active].label, model=active)
                st.success(f"Saved as a {right_label}. The Evaluate page can score models on "
                           f"your drawings.")
            except DrawingsError as e:
                st.error(str(e))
