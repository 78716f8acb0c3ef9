"""The nine lessons of the Learn page, each a short text, its controls, what it computes (nn.lessons,
nn.digit_lessons) as numbers and pictures, and a "try this". Each view takes the values the
address gave and a `control(param, column)` that draws a value's widget, and returns the values
its widgets hold now."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from nn import digit_lessons as dl
from nn import lessons
from nn.lesson_plan import BY_ID
from ui import charts, wording
from ui.errors import reason
from ui.i18n import _, n_
from ui.state import LAST_DRAWING_KEY


def g(value: float) -> str:
    """A number with six significant digits, as the lecture prints them (0.85, 0.555, -0.119)."""
    return f"{float(value):.6g}"


def named(names) -> list[str]:
    """The lecture's names of inputs and outputs (nn.lessons), in the session's language."""
    return [_(name) for name in names]


def widget_key(lesson, param) -> str:
    """The session key of a lesson's value's widget (ui.learn_view draws it)."""
    return f"learn_{lesson.id.replace('-', '_')}_{param.name}"


def params(lesson_id: str) -> dict:
    return {p.name: p for p in BY_ID[lesson_id].params}


def controls(lesson_id: str, control, names: list[str], widths=None) -> dict:
    """The named values' widgets side by side; what they hold."""
    p = params(lesson_id)
    return {name: control(p[name], column) for name, column in zip(names, st.columns(widths or len(names)))}


def try_this(text: str) -> None:
    st.info(_("**Try this:** {text}").format(text=text), icon=":material/science:")


def network_svg(columns: list[list[tuple[str, float]]], weights: list[np.ndarray]) -> str:
    """Nodes in columns (a name and a value each), every node joined to the next column's, the
    weight written on the line: the lecture's drawings, with its numbers."""
    width, height, radius = 170 * len(columns), 90 * max(len(c) for c in columns) + 20, 24

    def place(ci, ni):
        n = len(columns[ci])
        return 60 + ci * 170, height / 2 + (ni - (n - 1) / 2) * 90

    parts = []
    for ci, w in enumerate(weights):
        for j in range(len(columns[ci + 1])):
            for i in range(len(columns[ci])):
                (x1, y1), (x2, y2) = place(ci, i), place(ci + 1, j)
                weight = float(
                    np.asarray(w, dtype=float).reshape(len(columns[ci + 1]), len(columns[ci]))[j, i]
                )
                colour = "#c62828" if weight < 0 else "#1565c0"
                parts.append(
                    f"<line x1='{x1 + radius}' y1='{y1}' x2='{x2 - radius}' y2='{y2}' stroke='{colour}' "
                    f"stroke-width='{1 + min(abs(weight), 2) * 1.5:.1f}' opacity='.55'/>"
                )
                tx, ty = x1 + radius + 0.3 * (x2 - x1 - 2 * radius), y1 + 0.3 * (y2 - y1)
                parts.append(
                    f"<text x='{tx:.0f}' y='{ty - 4:.0f}' font-size='12' fill='{colour}'>{g(weight)}</text>"
                )
    for ci, column in enumerate(columns):
        for ni, (name, value) in enumerate(column):
            x, y = place(ci, ni)
            parts.append(
                f"<circle cx='{x}' cy='{y}' r='{radius}' fill='#fff' stroke='#333'/>"
                f"<text x='{x}' y='{y + 4}' text-anchor='middle' font-size='12' font-weight='600'>"
                f"{g(value)}</text><text x='{x}' y='{y + radius + 13}' text-anchor='middle' "
                f"font-size='11' fill='#555'>{html.escape(name)}</text>"
            )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='{width}' height='{height}'>" + "".join(parts) + "</svg>"
    )


def show_network(svg: str) -> None:
    st.image(svg)  # an image: st.html's sanitiser drops SVG


def figure(value: float, label: str, key: str) -> None:
    """A result the tests read: its value in data-value."""
    st.markdown(
        f"<div data-testid='lesson-result' data-key='{key}' data-value='{float(value)!r}'>{label}: "
        f"<b style='font-size:1.4rem'>{g(value)}</b></div>",
        unsafe_allow_html=True,
    )


# --- 1-3: predicting ---------------------------------------------------------------------------


def one_weight(values: dict, control) -> dict:
    st.write(
        _("The smallest network there is: one input, one weight, one output. It predicts by "
          "multiplying: **prediction = input × weight**. In the lecture the input is a team's average "
          "number of toes per player (8.5), the weight 0.1, and the prediction, 0.85, says how likely "
          "the team is to win.")
    )
    values = controls("one-weight", control, ["input", "weight"])
    prediction = values["input"] * values["weight"]
    show_network(
        network_svg([[(_("toes"), values["input"])], [(_("win?"), prediction)]],
                    [np.array([[values["weight"]]])])
    )
    figure(prediction, f"{g(values['input'])} × {g(values['weight'])}", "prediction")
    try_this(
        _("a weight of 0 predicts 0 whatever comes in; a negative weight turns a large input into a "
          "small prediction. The weight is the network's whole knowledge.")
    )
    return values


def several_inputs(values: dict, control) -> dict:
    st.write(
        _("With several inputs, each has its own weight and the prediction is their **weighted sum**: "
          "each input times its weight (a *local prediction*), all added up. The lecture's inputs are "
          "a game's toes, share of games won so far and fans (in millions).")
    )
    values = controls("several-inputs", control, ["game", "weights"], [1, 2])
    inputs = lessons.game(values["game"])
    local, prediction = lessons.weighted_sum(inputs, values["weights"])
    st.table(
        pd.DataFrame(
            {
                _("input"): named(lessons.INPUT_NAMES),
                _("value"): [g(v) for v in inputs],
                _("weight"): [g(w) for w in values["weights"]],
                _("local prediction"): [g(v) for v in local],
            }
        )
    )
    show_network(
        network_svg(
            [list(zip(named(lessons.INPUT_NAMES), inputs)), [(_("win?"), prediction)]],
            [np.array([values["weights"]])],
        )
    )
    figure(prediction, " + ".join(g(v) for v in local), "prediction")
    try_this(
        _("game 3 had only 0.5 million fans: how much does the prediction drop? Then give fans a "
          "weight of 1 and see one input take over.")
    )
    return values


def several_outputs(values: dict, control) -> dict:
    st.write(
        _("One input can feed several outputs, each with its own weight: the lecture predicts from the "
          "share of games won whether players get hurt, whether the team wins and whether the players "
          "are sad, each a multiplication (elementwise: the input times each weight).")
    )
    values = controls("several-outputs", control, ["input", "weights"], [1, 2])
    predictions = values["input"] * np.array(values["weights"])
    st.table(
        pd.DataFrame(
            {
                _("output"): named(lessons.OUTPUT_NAMES),
                _("input × weight"): [f"{g(values['input'])} × {g(w)}" for w in values["weights"]],
                _("prediction"): [g(v) for v in predictions],
            }
        )
    )
    show_network(
        network_svg(
            [[(_("win %"), values["input"])], list(zip(named(lessons.OUTPUT_NAMES), predictions))],
            [np.array(values["weights"]).reshape(3, 1)],
        )
    )
    for name, value in zip(lessons.OUTPUT_NAMES, predictions):
        figure(value, _(name), name.rstrip("?"))
    st.write(
        _("**Several inputs and several outputs** together: each output is a weighted sum of all the "
          "inputs, one row of weights per output (the lecture's 3×3 weights, game 1):")
    )
    inputs = lessons.game(1)
    matrix = np.array(lessons.WEIGHTS_THREE_BY_THREE)
    both = lessons.layer(inputs, matrix)
    st.table(
        pd.DataFrame(
            {
                _("output"): named(lessons.OUTPUT_NAMES),
                _("weighted sum"): [
                    " + ".join(f"({g(x)} × {g(w)})" for x, w in zip(inputs, row)) for row in matrix
                ],
                _("prediction"): [g(v) for v in both],
            }
        )
    )
    try_this(
        _("an input of 0 silences every output at once: one input cannot tell the outputs apart "
          "except by their weights.")
    )
    return values


def hidden_layer(values: dict, control) -> dict:
    st.write(
        _("Networks stack: the predictions of one layer are the inputs of the next. The middle layer "
          "is *hidden*: nobody gives it a goal, it only passes on what it computed. The lecture's "
          "three inputs go to three hidden values, and those to the three outputs.")
    )
    values = controls("hidden-layer", control, ["game"])
    inputs = lessons.game(values["game"])
    hidden, predictions = lessons.stacked(inputs, lessons.INPUT_TO_HIDDEN, lessons.HIDDEN_TO_OUTPUT)
    show_network(
        network_svg(
            [
                list(zip(named(lessons.INPUT_NAMES), inputs)),
                [(f"hid[{i}]", v) for i, v in enumerate(hidden)],
                list(zip(named(lessons.OUTPUT_NAMES), predictions)),
            ],
            [np.array(lessons.INPUT_TO_HIDDEN), np.array(lessons.HIDDEN_TO_OUTPUT)],
        )
    )
    c1, c2 = st.columns(2)
    c1.table(pd.DataFrame({_("hidden"): [f"hid[{i}]" for i in range(3)], _("value"): [g(v) for v in hidden]}))
    c2.table(pd.DataFrame({_("output"): named(lessons.OUTPUT_NAMES),
                           _("prediction"): [g(v) for v in predictions]}))
    for name, value in zip(lessons.OUTPUT_NAMES, predictions):
        figure(value, _(name), name.rstrip("?"))
    try_this(
        _("without an activation between them, two layers are still one weighted sum: multiply the "
          "two weight matrices and you get one 3×3 matrix that predicts the same. The ReLU of the "
          "NumPy network (lesson 7) is what makes depth worth it.")
    )
    return values


# --- 4-5: learning -----------------------------------------------------------------------------


def gradient_descent(values: dict, control) -> dict:
    st.write(
        _("Learning is three steps, again and again: **predict**, **compare** (the error, (prediction "
          "− goal)², is never negative and is 0 only when the prediction is right) and **learn**: move "
          "the weight against the error's slope. With one weight the slope is "
          "(prediction − goal) × input, and each step takes alpha times it off the weight. The lecture "
          "starts at weight 0.5, goal 0.8, input 0.5, and takes 20 steps with alpha 1.")
    )
    values = controls("gradient-descent", control, ["weight", "goal", "input", "alpha", "steps", "step"])
    rows = lessons.gradient_descent(
        values["weight"], values["goal"], values["input"], values["alpha"], values["steps"]
    )
    if lessons.diverges(values["input"], values["alpha"]):
        st.error(
            _("**It diverges.** Each step multiplies the distance to the best weight by 1 − alpha × "
              "input² = {factor}: beyond −1 every step overshoots further than the last, and the error "
              "grows. Take a smaller alpha.").format(factor=g(1 - values["alpha"] * values["input"] ** 2)),
            icon=":material/trending_up:",
        )
    left, right = st.columns([3, 2])
    with left:
        st.markdown(
            _("**Every step**, as the lecture prints it (the error and prediction before the step, "
              "the weight after it):")
        )
        table = pd.DataFrame(
            {
                _("step"): range(1, len(rows) + 1),
                _("error"): [f"{r.error:10.3e}".strip() for r in rows],
                _("prediction"): [f"{r.prediction:.6f}" for r in rows],
                _("weight"): [f"{r.weight:.6f}" for r in rows],
            }
        )
        st.container(key="gd_table").dataframe(table, hide_index=True, height=min(36 * len(rows) + 38, 420))
    with right:
        figure(rows[-1].weight, _("weight after the last step"), "weight")
        st.image(error_curve(rows))
        st.image(parabola(values, rows))
    cold = lessons.hot_and_cold(
        values["weight"], values["goal"], values["input"], values["step"], values["steps"]
    )
    st.markdown(
        _("**Hot and cold learning, for comparison**: try the weight {step} up and down, keep whichever "
          "predicts better. After {steps} steps its weight is **{cold}** (error {cold_error}), against "
          "gradient descent's **{weight}** (error {error}). It needs two extra predictions per step, and "
          "its steps never shrink as it nears the goal.").format(
            step=g(values["step"]), steps=len(cold), cold=g(cold[-1].weight),
            cold_error=f"{cold[-1].error:.3e}", weight=g(rows[-1].weight), error=f"{rows[-1].error:.3e}")
    )
    try_this(
        _("alpha 4 with input 0.5 still converges (1 − 4 × 0.25 = 0: one step lands on the goal); "
          "alpha 9 diverges. Input 2 needs a smaller alpha than input 0.5: the input scales the slope.")
    )
    return values


def error_curve(rows) -> str:
    steps = list(range(1, len(rows) + 1))
    errors = [r.error for r in rows]
    top = max(errors[0] * 1.05, 1e-12) if not all(np.isfinite(errors)) or errors[-1] > errors[0] else None
    return charts.line_svg(
        [{"x": steps, "y": errors, "colour": "#1565c0", "markers": True}],
        _("error per step"),
        _("step"),
        _("error"),
        y_range=(0, top) if top else None,
    )


def parabola(values: dict, rows) -> str:
    """The error against the weight, with each step's weight on it (a diverging run's later steps
    leave the picture)."""
    x, goal = values["input"], values["goal"]
    weights = [values["weight"], *[r.weight for r in rows]]
    best = goal / x if x else 0.0
    span = min(max(abs(w - best) for w in weights[:6]) * 1.2 + 0.1, 50.0)
    grid = np.linspace(best - span, best + span, 120)
    curve = (x * grid - goal) ** 2
    return charts.line_svg(
        [
            {"x": grid, "y": curve, "colour": "#999"},
            {"x": weights, "y": [(x * w - goal) ** 2 for w in weights], "colour": "#1565c0", "markers": True},
        ],
        _("error against the weight"),
        _("weight"),
        _("error"),
        x_range=(best - span, best + span),
        y_range=(0, float(curve.max()) * 1.05 or 1.0),
    )


def many_weights(values: dict, control) -> dict:
    st.write(
        _("With several weights, each learns from the same delta (prediction − goal), scaled by its own "
          "input: **weight_delta = delta × input**. An input of 0 leaves its weight alone; a large input "
          "moves its weight a lot, so alpha must be small (the lecture's 0.01).")
    )
    values = controls("many-weights", control, ["game", "alpha", "steps"])
    inputs = lessons.game(values["game"])
    goal = lessons.WIN[values["game"] - 1]
    st.markdown(_("**Several inputs, one output** (win?, goal {goal}; weights 0.1, 0.2, −0.1):").format(
        goal=goal))
    rows = lessons.many_inputs((0.1, 0.2, -0.1), inputs, goal, values["alpha"], values["steps"])
    st.table(
        pd.DataFrame(
            [
                {
                    "step": i,
                    "prediction": g(r.prediction),
                    "error": g(r.error),
                    "delta": g(r.delta),
                    "weight deltas": ", ".join(g(v) for v in r.weight_deltas),
                    "weights after": ", ".join(g(v) for v in r.weights),
                }
                for i, r in enumerate(rows, 1)
            ]
        )
    )
    figure(rows[0].weights[0], _("toes' weight after the first step"), "first_weight")
    st.markdown(
        _("**Several inputs, several outputs** (hurt?, win?, sad?; the lecture's 3×3 weights): "
          "the weight deltas are the **outer product** of the inputs and the deltas, one for every "
          "weight. The weight from input *i* to output *j* moves by alpha × input[i] × delta[j].")
    )
    goals = (
        lessons.HURT[values["game"] - 1],
        lessons.WIN[values["game"] - 1],
        lessons.SAD[values["game"] - 1],
    )
    both = lessons.many_inputs_and_outputs(
        lessons.WEIGHTS_THREE_BY_THREE, inputs, goals, values["alpha"], values["steps"]
    )
    first = both[0]
    c1, c2, c3 = st.columns(3)
    c1.markdown(_("prediction, goal, delta"))
    c1.table(
        pd.DataFrame(
            {
                _("output"): named(lessons.OUTPUT_NAMES),
                _("prediction"): [g(v) for v in first.prediction],
                _("goal"): [g(v) for v in goals],
                _("delta"): [g(v) for v in first.delta],
            }
        )
    )
    c2.markdown(_("weight deltas (rows: inputs)"))
    c2.table(
        pd.DataFrame(
            [[g(v) for v in row] for row in first.weight_deltas],
            index=named(lessons.INPUT_NAMES),
            columns=named(lessons.OUTPUT_NAMES),
        )
    )
    c3.markdown(n_("weights after {n} step (rows: outputs)", "weights after {n} steps (rows: outputs)",
                   len(both)).format(n=len(both)))
    c3.table(
        pd.DataFrame(
            [[g(v) for v in row] for row in both[-1].weights],
            index=named(lessons.OUTPUT_NAMES),
            columns=named(lessons.INPUT_NAMES),
        )
    )
    st.caption(
        _("The lecture's code subtracts weight_deltas[i][j] from weights[i][j], pairing input i's row "
          "with output i's; here each weight gets the delta of its own input and output.")
    )
    try_this(_("raise alpha to 0.1: toes (8.5) overshoots at once, while the fans' weight hardly moves."))
    return values


# --- 6-9: on a drawing -------------------------------------------------------------------------


def drawing(image_param, control, data) -> tuple[np.ndarray, int | None, int]:
    """The drawing a lesson works on: the learner's last one (the Draw page's, or one drawn here),
    or a test image by its number (what a link can carry); its true digit when known, and the
    test image's number (the address keeps it)."""
    from streamlit_drawable_canvas import st_canvas

    from nn.preprocess import EmptyImageError, ImageError, to_mnist

    mine = st.session_state.get(LAST_DRAWING_KEY)
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    source = c1.segmented_control(
        _("Drawing"),
        ["Test image", "Mine"],
        default="Mine" if mine is not None else "Test image",
        key="learn_source",
        format_func=lambda s: _("Test image") if s == "Test image" else _("Mine"),
    )
    index = control(image_param, c2)
    if source == "Mine":
        with c3.expander(_("Draw here"), expanded=mine is None):
            drawn = st_canvas(
                stroke_width=20,
                stroke_color="#FFFFFF",
                background_color="#000000",
                height=196,
                width=196,
                drawing_mode="freedraw",
                return_image_data=True,
                key="learn_canvas",
            )
            if drawn.image_data is not None:
                try:
                    mine = st.session_state[LAST_DRAWING_KEY] = to_mnist(drawn.image_data)
                except EmptyImageError:
                    pass
                except ImageError as e:
                    st.warning(_("That image can't be read: {why}.").format(why=reason(e)))
        if mine is not None:
            return np.asarray(mine, dtype=np.float32), None, index
        st.caption(_("Nothing drawn yet: the test image stands in."))
    return data.x_test[index].astype(np.float32) / 255, int(data.y_test[index]), index


def mnist():
    from ui.state import dataset

    return dataset("mnist")


def pixels_lesson(values: dict, control) -> dict:
    st.write(
        _("A neuron on a picture is the same weighted sum, over 784 inputs: one per pixel. A network "
          "with one layer has ten such neurons, one per digit, each with a weight for every pixel and a "
          "bias. Here is one, trained in this page on 5,000 MNIST images (softmax regression): its ten "
          "weight pictures (red: ink here adds to the digit's sum; blue: it takes away), your drawing "
          "times each, the ten sums, and softmax.")
    )
    p = params("pixels")
    data = mnist()
    image, _truth, index = drawing(p["image"], control, data)
    digit = control(p["digit"])
    net = dl.one_layer_of(data)
    sums = dl.neuron_sums(net, image)
    shown = int(np.argmax(sums.probabilities)) if digit < 0 else digit
    st.image(
        charts.tiles(net.weights.T.reshape(10, 28, 28), columns=10, scale=3, labels=True),
        caption=_("the ten digits' weights (it reads {percent} of 2,000 test images right)").format(
            percent=wording.confidence(net.accuracy)),
    )
    c1, c2, c3 = st.columns([1, 1, 2])
    c1.image(charts.pixels(image, 4), caption=_("the drawing"))
    c2.image(
        charts.tiles(sums.products[shown : shown + 1], columns=1, scale=4),
        caption=_("drawing × the weights of {digit}").format(digit=shown),
    )
    c3.table(
        pd.DataFrame(
            {
                _("digit"): range(10),
                _("sum"): [g(v) for v in sums.sums],
                _("bias"): [g(v) for v in net.bias],
                _("score"): [g(v) for v in sums.scores],
                _("probability"): [f"{v:.4f}" for v in sums.probabilities],
            }
        )
    )
    figure(sums.scores[shown], _("the score of {digit}").format(digit=shown), "score")
    st.html(charts.probability_html(sums.probabilities, [str(d) for d in range(10)]))
    try_this(_("draw a 1 and look at the weights of 0: its blue centre is where a 1 has its ink."))
    return {"image": index, "digit": digit}


def backprop_lesson(values: dict, control) -> dict:
    from nn.kinds.numpy_net import NumpyMLP

    st.write(
        _("Backpropagation is gradient descent through a hidden layer. The lecture's NumPy network, "
          "784 pixels → 40 ReLU units → 10 outputs, here trained briefly on 1,000 images: "
          "**forward** (layer_1 = relu(layer_0 · W1), layer_2 = layer_1 · W2), **compare** "
          "(delta_2 = layer_2 − goal), **back** (delta_1 = delta_2 · W2ᵀ, where a unit was off, 0), "
          "**learn** (W2 −= alpha · layer_1ᵀ · delta_2, W1 −= alpha · layer_0ᵀ · delta_1). These are "
          "the arrays the network's own code computes.")
    )
    p = params("backprop")
    data = mnist()
    image, truth, index = drawing(p["image"], control, data)
    c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
    label = control(p["label"], c1)
    alpha = control(p["alpha"], c2)
    steps = control(p["steps"], c3)
    net: NumpyMLP = dl.lecture_network_of(data)
    before = net.outputs(image[None])[0]
    goal = label if label >= 0 else (truth if truth is not None else int(np.argmax(before)))
    done = [dl.backprop_step(net, image, goal, alpha) for _step in range(steps)]
    st.button(_("One more step"), key="learn_backprop_step", icon=":material/skip_next:",
              on_click=one_more_step)
    st.markdown(
        n_("The goal is a **{goal}**. Before any step it reads **{before}**; after {n} step **{after}**.",
           "The goal is a **{goal}**. Before any step it reads **{before}**; after {n} steps **{after}**.",
           steps).format(goal=goal, before=int(np.argmax(before)), n=steps,
                         after=int(np.argmax(net.outputs(image[None])[0])))
    )
    if not done:
        st.caption(_("0 steps: take one to see its arrays."))
        return {"image": index, "label": label, "alpha": alpha, "steps": steps}
    last = done[-1]
    figure(last.error, _("error before step {n}").format(n=steps), "error")
    a, b = st.columns(2)
    with a:
        st.markdown(_("**Forward**: layer_1 (40 units) and layer_2 (10 outputs)"))
        st.image(charts.tiles(last.layer_1.reshape(1, 1, -1), scale=12, diverging=False))
        st.table(
            pd.DataFrame(
                {
                    _("digit"): range(10),
                    _("layer_2"): [g(v) for v in last.layer_2],
                    _("goal"): [int(v) for v in last.goal],
                    _("delta_2"): [g(v) for v in last.delta_2],
                    _("after the step"): [g(v) for v in last.after],
                }
            )
        )
    with b:
        st.markdown(_("**Back**: delta_1 (40 units: red pushes a unit down, blue up)"))
        st.image(charts.tiles(last.delta_1.reshape(1, 1, -1), scale=12))
        st.markdown(_("**Learn**: the change of W1 for each hidden unit (its 784 pixels' weights)"))
        st.image(charts.weight_tiles(-alpha * last.weight_deltas_1, columns=10, scale=2))
        st.markdown(_("and of W2 (rows: hidden units, columns: digits)"))
        st.image(charts.tiles((-alpha * last.weight_deltas_2)[None], scale=6))
    try_this(
        _("set the right digit to a wrong one (say 3 for a 7) and step until it believes you: a "
          "few steps on one drawing undo what 1,000 images taught.")
    )
    return {"image": index, "label": label, "alpha": alpha, "steps": steps}


def one_more_step() -> None:
    """Before the next run draws the steps' widget (its value may change only then)."""
    key = widget_key(BY_ID["backprop"], params("backprop")["steps"])
    st.session_state[key] = min(int(st.session_state.get(key, 0)) + 1, int(params("backprop")["steps"].high))


def boxed(picture, row: int, col: int, size: int, scale: int, offset: int = 0):
    """`picture` with a yellow box around `size` x `size` pixels from (row, col) (`offset`: the
    tile's border)."""
    from PIL import ImageDraw

    picture = picture.convert("RGB")
    top, left = (offset + row) * scale, (offset + col) * scale
    ImageDraw.Draw(picture).rectangle(
        [left, top, left + size * scale - 1, top + size * scale - 1], outline=(255, 200, 0), width=2
    )
    return picture


def convolution_lesson(values: dict, control) -> dict:
    from nn.inference import predictor_for_file
    from nn.storage.paths import bundled_models_dir

    st.write(
        _("A convolution slides a small grid of weights (a *kernel*) over the picture; at each place the "
          "output is the sum of the pixels under it times the kernel's weights. One kernel gives a whole "
          "picture, a *feature map*: bright where its pattern is. Pooling then keeps the largest value "
          "of each 2×2 block: a map half as wide that still says where the pattern was.")
    )
    p = params("convolution")
    data = mnist()
    image, _truth, index = drawing(p["image"], control, data)
    c1, c2, c3, c4 = st.columns(4)
    kernel_name = control(p["kernel"], c1)
    learned = control(p["learned"], c2)
    asked_row, asked_col = control(p["row"], c3), control(p["col"], c4)
    kernel = dl.HAND_KERNELS[kernel_name]
    feature_map = dl.convolve(image, kernel)
    row, col = dl.output_pixel(feature_map, asked_row, asked_col)
    patch, value = dl.one_output(image, kernel, row, col)
    a, b, c = st.columns(3)
    a.image(boxed(charts.pixels(image, 6), row, col, 3, 6), caption=_("the drawing (28×28), the patch boxed"))
    b.image(
        boxed(charts.tiles(feature_map[None], columns=1, scale=6), row, col, 1, 6, offset=1),
        caption=_("{kernel}: the feature map (26×26), the output boxed").format(kernel=kernel_name),
    )
    c.image(
        charts.tiles(dl.max_pool(feature_map)[None], columns=1, scale=12),
        caption=_("after 2×2 max pooling (13×13)"),
    )
    st.markdown(
        _("**Output pixel ({row}, {col})**: the 3×3 patch under the kernel, times the kernel, added "
          "up:").format(row=row, col=col)
    )
    terms = " + ".join(f"{g(x)}×{g(k)}" for x, k in zip(patch.ravel(), kernel.ravel()))
    st.code(f"{terms}\n= {g(value)}", language=None, wrap_lines=True)
    figure(value, _("output ({row}, {col})").format(row=row, col=col), "output")
    _kind, filters = predictor_for_file(bundled_models_dir() / "mnist-cnn-best.keras").first_weights()
    chosen = filters[learned - 1]
    d, e = st.columns(2)
    d.image(
        charts.tiles(filters, columns=16, scale=8, labels=True),
        caption=_("the 32 kernels (5×5) mnist-cnn-best learned in its first layer"),
    )
    e.image(
        charts.tiles(dl.convolve(image, chosen)[None], columns=1, scale=6),
        caption=_("learned kernel {n} on the drawing").format(n=learned),
    )
    try_this(
        _("a vertical-edge kernel lights up the sides of a 1 and not its top; compare it with the "
          "learned kernels: several of them found edges by themselves.")
    )
    return {"image": index, "kernel": kernel_name, "learned": learned, "row": asked_row, "col": asked_col}


def softmax_lesson(values: dict, control) -> dict:
    st.write(
        _("A network's last layer gives one score per class, any number. **Softmax** turns them into "
          "probabilities: e to the power of each score, divided by their sum, so that they are positive "
          "and add up to 1, and the largest score gets the largest share. **Cross-entropy**, the loss "
          "every classifier here trains on, is −log of the probability given to the right class: 0 "
          "when it is sure and right, large when it is sure and wrong.")
    )
    p = params("softmax")
    c1, c2 = st.columns([2, 1])
    scores = control(p["scores"], c1)
    true = control(p["true"], c2)
    true = min(true, len(scores) - 1)
    probabilities = lessons.softmax(scores)
    exps = np.exp(np.asarray(scores) - max(scores))
    st.table(
        pd.DataFrame(
            {
                _("class"): range(len(scores)),
                _("score"): [g(s) for s in scores],
                _("e^(score − max)"): [g(v) for v in exps],
                _("probability"): [g(v) for v in probabilities],
            }
        )
    )
    loss = lessons.cross_entropy(probabilities, true)
    figure(loss, _("cross-entropy if the right class is {n}").format(n=true), "loss")
    st.html(charts.probability_html(probabilities, [str(i) for i in range(len(scores))]))
    st.warning(
        _("Every model here ends in softmax, so its loss is told it gets probabilities. One tutorial "
          "compiles such a model with `from_logits=True`: the loss then applies softmax a second "
          "time, to numbers that are already probabilities, squashing them together, and learning "
          "slows down. Give `from_logits=True` only to a model whose last layer has no softmax."),
        icon=":material/warning:",
    )
    try_this(
        _("add 10 to every score: the probabilities do not change. Multiply them by 10: the largest "
          "takes nearly everything.")
    )
    return {"scores": scores, "true": true}


VIEWS = {
    "one-weight": one_weight,
    "several-inputs": several_inputs,
    "several-outputs": several_outputs,
    "hidden-layer": hidden_layer,
    "gradient-descent": gradient_descent,
    "many-weights": many_weights,
    "pixels": pixels_lesson,
    "backprop": backprop_lesson,
    "convolution": convolution_lesson,
    "softmax": softmax_lesson,
}
