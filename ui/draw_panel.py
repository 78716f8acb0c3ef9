"""The Draw page's working part: canvas (or upload) -> what the model sees -> the answers.

The live canvas (ui.live_canvas, the default) answers in the browser while the pen moves and sends
the finished drawing when it lifts; the classic canvas (streamlit-drawable-canvas) sends it 200 ms
after the pen lifts; the server's answer to either is the one that counts (saving, corrections,
saliency, the inside views). It runs as a fragment: a drawing re-runs only this part.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from nn import familiar
from nn.errors import DigitLabError
from nn.export import ExportError, exported, is_exported
from nn.preprocess import IMAGE_EXTENSIONS, DotError, EmptyImageError, ImageError, open_image, to_mnist
from nn.storage.drawings import DrawingsError
from nn.storage.workspaces import WorkspaceError
from ui import charts, datasets_view, inside_views, wording
from ui.errors import reason, sentence
from ui.i18n import _
from ui.live_canvas import LiveModel, live_canvas
from ui.state import LAST_DRAWING_KEY, dataset, drawings, model_info, model_store, predictor_for

CANVAS = 280


LIVE, CLASSIC = "Live", "Classic"
FAILED_KEY = "live_failed"  # why this browser could not run the live canvas, once it said so
SWITCH_KEY = "to_classic_canvas"  # the next run shows the classic canvas


# On a phone (Streamlit stacks columns below 640 px) the answer under the canvas must stay in the
# first screen: less space above the title, no introduction, Input and Canvas side by side.
PHONE_CSS = """<style>
@media (max-width: 640px) {
  .stMainBlockContainer { padding-top: 2.5rem; }
  .stMainBlockContainer h1 { font-size: 2rem; padding-top: 0; }
  .st-key-draw_intro { display: none; }
  .st-key-draw_controls [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: .25rem 1rem; }
  .st-key-draw_controls [data-testid="stColumn"]:not(:last-child) {
    width: auto !important; flex: 0 0 auto !important; min-width: 0 !important; }
}
</style>"""


def fit_a_phone() -> None:
    st.html(PHONE_CSS)


def show(active: str) -> None:
    if st.session_state.pop(SWITCH_KEY, False):  # before the control exists: it owns its key after
        st.session_state.canvas_kind = CLASSIC
        st.warning(_("The live canvas could not start in this browser ({why}): this is the classic canvas, "
                     "which the server answers when you lift the pen.").format(
            why=st.session_state[FAILED_KEY][:200]), icon=":material/warning:")
    c1, c2, c3 = st.container(key="draw_controls").columns([1, 1, 2], vertical_alignment="bottom")
    mode = c1.segmented_control(_("Input"), ["Draw", "Upload"], default="Draw", key="input_mode",
                                format_func=lambda m: _("Draw") if m == "Draw" else _("Upload"))
    canvas = c2.segmented_control(
        _("Canvas"), [LIVE, CLASSIC], default=CLASSIC if st.session_state.get(FAILED_KEY) else LIVE,
        key="canvas_kind", format_func=lambda c: _("Live") if c == LIVE else _("Classic"),
        help=_("Live: the network answers in your browser while you draw. Classic: the server answers "
               "once you lift the pen.")) if mode != "Upload" else None
    infos = model_store().list()
    dataset = next((i.dataset for i in infos if i.name == active), None)
    others = [i.name for i in infos if i.name != active and i.dataset == dataset]  # they answer alike
    names = [active, *c3.multiselect(_("Compare with"), others, key="compare_models",
                                     placeholder=_("Add models of the same data set"),
                                     help=_("Models trained on the same data set as the active one: a "
                                            "clothing model would answer a digit with a garment."))]
    if mode == "Upload":
        left, middle, right = st.columns([1.5, 1.0, 1.8], gap="medium")
        with left:
            original = uploaded()
    elif canvas == CLASSIC or canvas is None:
        left, middle, right = st.columns([1.5, 1.0, 1.8], gap="medium")
        with left:
            original = drawn()
    else:
        original = drawn_live(names)
        st.caption(_("The server's answer to the finished drawing: it counts for saving, corrections, "
                     "saliency and the look inside."))
        middle, right = st.columns([1.0, 2.3], gap="medium")
    image28 = readable(original)
    if image28 is not None:
        st.session_state[LAST_DRAWING_KEY] = image28  # the Learn page's lessons work on it
    if image28 is None:
        with middle:
            uploading = mode == "Upload"
            st.info(_("Upload an image of a digit") if uploading else _("Draw a digit on the black square"),
                    icon=":material/draw:")
        return
    with middle:
        st.markdown("**" + _("What the model sees") + "**")
        st.image(charts.pixels(image28), caption=_("28×28, centred like MNIST"), width=196)
        saliency = st.toggle(_("Where did it look?"), key="show_saliency",
                             help=_("The gradient of the top class with respect to each pixel."))
        caveat(active, image28)
    with right:
        answers = answer_columns(names, image28, saliency)
        info = model_info(active)
        if active in answers and info.dataset == "mnist":
            teach(original, image28, active, answers[active])
        classes = wording.class_names(info.dataset, info.metadata)
        datasets_view.add_from_draw_page(original, info.dataset,
                                         classes[answers[active].label] if active in answers else None)
    # after the answers, so that they are on screen before this starts
    if st.toggle(_("Look inside the network"), key="look_inside",
                 help=_("Every layer's view of your drawing, what the first layer learned, the training "
                        "images most like it and where it lands on a map of what the network has learned.")):
        inside_views.show(active, image28)


def caveat(active: str, image28: np.ndarray) -> None:
    """Whether the drawing is like what the network learned from: it answers anything, sure or not."""
    try:
        data = dataset(model_info(active).dataset)
    except DigitLabError:  # one's own set, since deleted: nothing to compare with
        return
    seen = remembered_familiarity(data, image28)
    if seen.unfamiliar:
        st.container(key="unfamiliar").warning(
            _("**Unlike anything it learned from**: the nearest of its {images} training images is further "
              "from your drawing ({distance}) than for 99 in 100 test images (up to {usual}). It must still "
              "pick one of {classes}, so how sure it is means little here.").format(
                images=wording.number(len(data.x_train)), distance=wording.number(round(seen.distance, 1)),
                usual=wording.number(round(seen.usual, 1)), classes=len(data.info.class_names)),
            icon=":material/help:")


def remembered_familiarity(data, image28: np.ndarray) -> familiar.Familiarity:
    """The drawing's familiarity, searched once per drawing and data set, not on every rerun (a
    toggle, a slider): the search runs over all the training images."""
    key = (data.name, hashlib.sha1(np.ascontiguousarray(image28).tobytes()).hexdigest())
    kept = st.session_state.get("familiarity")
    if kept is None or kept[0] != key:
        kept = st.session_state["familiarity"] = (key, familiar.familiarity(data, image28))
    return kept[1]


def drawn():
    stroke = st.slider(_("Stroke width"), 6, 40, 20, key="stroke_width")
    version = st.session_state.setdefault("canvas_version", 0)
    result = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                       height=CANVAS, width=CANVAS, drawing_mode="freedraw",
                       return_image_data=True, key=f"canvas-{version}")
    if st.button(_("Clear"), key="clear_canvas", icon=":material/delete:"):
        st.session_state.canvas_version = version + 1  # a new canvas: the component has no clear
        st.rerun(scope="fragment")
    return result.image_data


def uploaded():
    upload = st.file_uploader(_("A photo or scan of one digit"), type=list(IMAGE_EXTENSIONS), key="upload")
    if upload is None:
        return None
    try:
        original = np.asarray(open_image(upload.getvalue()).convert("RGB"))
    except ImageError as e:
        st.error(_("That file can't be used: {why}.").format(why=reason(e)))
        return None
    st.image(original, caption=upload.name, width=CANVAS)
    return original


def readable(original):
    """The 28x28 form of the input, or None (with a message when there is something to say)."""
    if original is None:
        return None
    try:
        return to_mnist(original)
    except DotError:
        st.warning(_("That is a dot, not a digit: draw the whole digit, larger."), icon=":material/info:")
    except EmptyImageError:
        pass
    except ImageError as e:
        st.error(_("That image can't be read: {why}.").format(why=reason(e)))
    return None


def drawn_live(names: list[str]):
    """The live canvas with `names` answering in the browser; the finished drawing, once sent."""
    result = live_canvas([live_model(name) for name in names], key="live_canvas")
    if result.runtime_failed and not st.session_state.get(FAILED_KEY):
        st.session_state[FAILED_KEY] = result.runtime_failed  # said once; the classic canvas from now on
        st.session_state[SWITCH_KEY] = True
        st.rerun(scope="fragment")
    return result.drawing


def live_model(name: str) -> LiveModel:
    """A model as the browser runs it: its ONNX export, or why the server answers instead."""
    info = model_info(name)
    classes = wording.class_names(info.dataset, info.metadata)
    try:
        if is_exported(info.path, "onnx"):
            return LiveModel(name, classes, exported(info.path, "onnx"))
        with st.spinner(_("Preparing {name} for your browser…").format(name=name)):
            return LiveModel(name, classes, exported(info.path, "onnx"))
    except ExportError as e:
        return LiveModel(name, classes, None, sentence(e))


ANSWERS_PER_ROW = 3  # wider than this, names and bars no longer fit beside the canvas


def answer_columns(names: list[str], image28: np.ndarray, saliency: bool) -> dict:
    answers = {}
    for start in range(0, len(names), ANSWERS_PER_ROW):
        row = names[start:start + ANSWERS_PER_ROW]
        columns = st.columns(ANSWERS_PER_ROW) if len(names) > 1 else [st.container()]
        for name, column in zip(row, columns):  # columns of one width in every row: they line up
            with column:
                answers[name] = answer(name, image28, saliency)
    return {name: a for name, a in answers.items() if a is not None}


def answer(name: str, image28: np.ndarray, saliency: bool):
    """One model's answer: the class, how sure it is, all ten probabilities."""
    info = model_info(name)
    dataset, class_names = info.dataset, wording.class_names(info.dataset, info.metadata)
    try:
        predictor = predictor_for(name)
    except Exception as e:  # noqa: BLE001 - a broken file must not take the page down
        st.error(_("{name} could not be loaded: {why}").format(name=name, why=reason(e)))
        return None
    p = predictor.predict_one(image28)
    label = class_names[p.label]
    st.caption(name)
    shares = json.dumps([round(float(v), 7) for v in p.probabilities])  # read by the tests and benchmarks
    st.markdown(f"<div data-testid='answer' data-probabilities='{shares}' "
                "style='font-size:3.2rem;font-weight:700;line-height:1'>"
                f"{label}</div>", unsafe_allow_html=True)
    st.markdown(_("{percent} sure").format(percent=f"**{wording.confidence(p.confidence)}**"))
    if p.is_close_call:
        st.warning(_("{one} or {other}?").format(one=label, other=class_names[p.runner_up]))
    st.html(charts.probability_html(p.probabilities, class_names))
    if dataset == "fashion-mnist":
        st.caption(_("A clothing model: it answers with Fashion-MNIST classes."))
    if saliency:
        st.image(charts.saliency_overlay(image28, predictor.saliency(image28)),
                 caption=_("red: pixels that move the answer most"), width=196)
    return p


def teach(original, image28: np.ndarray, active: str, prediction) -> None:
    with st.expander(_("Wrong? Tell it")):
        right_label = st.selectbox(_("The right digit"), list(range(10)), index=prediction.label,
                                   key="right_label")
        if st.button(_("Save to my drawings"), key="save_drawing"):
            try:
                drawings().add(np.asarray(original), image28, right_label, "mnist",
                               predicted=prediction.label, model=active)
                st.success(_("Saved as a {digit}. The Evaluate page can score models on your "
                             "drawings.").format(digit=right_label))
            except (DrawingsError, WorkspaceError) as e:
                st.error(reason(e))
