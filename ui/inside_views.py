"""Inside the network, for a drawing: each layer's output, what the first layer learned, the
nearest training images, and the map of the last hidden layer (nn.inside). Also the test set's
map on the Evaluate page."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nn import inside, words
from nn.kinds.kind import NotANetwork
from nn.storage.cache import file_key
from ui import charts, wording
from ui.i18n import _
from ui.state import data_version, dataset, model_info, predictor_for


def passing(layer_type: str) -> str | None:
    """What a layer whose output needs no picture does, in a sentence (None for the others)."""
    said = {"Dropout": _("unchanged when predicting (it switches off random units only while training)"),
            "Reshape": _("the same numbers, given a channel axis"),
            "Flatten": _("the maps laid out as one long row of numbers, for the dense layers")}
    return said.get(layer_type)


def show(name: str, image28: np.ndarray) -> None:
    """The four views for the active model and the drawing."""
    info = model_info(name)
    predictor = predictor_for(name)
    try:
        steps = inside.layers(predictor, image28)
    except NotANetwork as e:
        st.info(_(str(e)).capitalize() + ".", icon=":material/forest:")  # its kind's inside_refusal
        return
    class_names = wording.class_names(info.dataset, info.metadata)
    by_layer, learned, near, mapped = st.tabs(
        [_("Layer by layer"), _("What it learned"), _("Nearest neighbours"), _("Map")])
    with by_layer:
        layer_by_layer(steps, class_names)
    with learned:
        what_it_learned(predictor)
    with near:
        neighbours(predictor, info, image28, class_names)
    with mapped:
        test_map(name, predictor, info, class_names, image28)


def layer_by_layer(steps: list[inside.Step], class_names) -> None:
    st.caption(_("Your drawing as each layer passes it on, from the pixels to the answer. Convolutions "
                 "turn one picture into many (one per filter: bright where the filter found its "
                 "pattern); pooling halves them; the dense layers mix everything into a few numbers."))
    st.markdown("<div data-testid='layer-shapes'>" + " → ".join(words.shape(s.shape) for s in steps)
                + "</div>", unsafe_allow_html=True)
    for i, step in enumerate(steps):
        with st.container(key=f"layer_{i}"):
            st.markdown(f"**{step.name}** · {step.type} · `{words.shape(step.shape)}`")
            layer_picture(step, last=i == len(steps) - 1, class_names=class_names)


def layer_picture(step: inside.Step, last: bool, class_names) -> None:
    values = step.values
    if passing(step.type):
        st.caption(passing(step.type))
    elif last and values.shape == (len(class_names),):
        st.html(charts.probability_html(values, class_names))
    elif values.ndim == 3:  # height x width x channels: one small picture per channel
        h = values.shape[0]
        st.image(charts.tiles(np.moveaxis(values, -1, 0), columns=16, scale=max(2, 48 // h),
                              diverging=False, labels=True))
    elif values.ndim == 2:
        st.image(charts.pixels(values, scale=4))
    else:  # a dense layer's units, 32 to a row: red positive, blue negative
        width = 32
        padded = np.zeros(-(-values.size // width) * width, np.float32)
        padded[:values.size] = values
        st.image(charts.tiles(padded.reshape(1, -1, width), scale=12))


def what_it_learned(predictor) -> None:
    kind, weights = predictor.first_weights()
    if kind == "filters":
        st.caption(_("The {n} filters of the first convolution, each a {shape} pattern it slides over the "
                     "image: red pixels add, blue ones subtract. Most find edges and strokes at one "
                     "angle.").format(n=len(weights), shape=words.shape(weights.shape[1:])))
        st.image(charts.tiles(weights, columns=16, scale=12, labels=True))
    elif kind == "units":
        st.caption(_("The weights of the first layer's {n} units, one 28×28 picture each: red pixels "
                     "excite the unit, blue ones inhibit it. Many look like blurred parts of "
                     "digits.").format(n=len(weights)))
        st.image(charts.tiles(weights, columns=16, scale=3))
    else:
        st.caption(_("The first layer is neither a convolution nor a dense layer over the pixels."))


def model_and_data_key(info) -> str:
    """What the kept features of a data set's images depend on: the model file, and for one's own
    set its drawings as they are now (one deleted and one added keep its size)."""
    version = data_version(info.dataset)
    return file_key(info.path) + (f"-{version}" if version else "")


def neighbours(predictor, info, image28: np.ndarray, class_names) -> None:
    d = dataset(info.dataset)
    with st.spinner(_("Finding the nearest training images (the first time for a model, it reads all "
                      "{n} of them)…").format(n=wording.number(len(d.x_train)))):
        found = inside.neighbours(predictor, model_and_data_key(info), d.x_train, d.y_train, image28)
    st.caption(_("The training images the network finds most like your drawing, measured in its last "
                 "hidden layer (the numbers its answer is read from). When they show another class than "
                 "yours, that is the class it mixes yours up with. The number under each is how far it "
                 "is from your drawing there: 0 would be the very same numbers, and the further, the "
                 "less alike."))
    st.image([charts.pixels(d.x_train[n.index], scale=3) for n in found],
             caption=[f"{class_names[n.label]} · {wording.number(round(n.distance, 2))}" for n in found],
             width=84)


def test_map(name: str, predictor, info, class_names, image28: np.ndarray | None = None) -> None:
    """The map of the test set; with a drawing, its place as a star. A click shows a dot's image."""
    d = dataset(info.dataset)
    with st.spinner(_("Drawing the map (once per model: a second or two)…")):
        m = inside.test_map(predictor, model_and_data_key(info), d.x_test, d.y_test)
    star = inside.place(m, predictor.features(image28[np.newaxis])) if image28 is not None else None
    st.caption(_("Each dot is one of {images} test images, placed so that images the network sees as alike "
                 "sit together (a t-SNE map of its last hidden layer). Colours are the true classes; "
                 "crosses are the {wrong} it gets wrong{star}. Classes whose clouds touch are the ones it "
                 "confuses. Click a dot to see its image.").format(
        images=wording.number(len(m.xy)), wrong=int(m.wrong.sum()),
        star=_("; the star is your drawing") if star is not None else ""))
    event = st.plotly_chart(charts.network_map(m.xy, m.labels, m.answers, class_names, star),
                            on_select="rerun", selection_mode="points", key=f"map_{name}",
                            config={"scrollZoom": False})
    points = event.selection.points if event else []
    if points and points[0].get("customdata") is not None:
        i = int(points[0]["customdata"])
        st.image(charts.pixels(d.x_test[i], scale=4), width=112,
                 caption=_("test image {i}: a {truth}, read as {answer}").format(
                     i=i, truth=class_names[m.labels[i]], answer=class_names[m.answers[i]]))
