"""The Learn page's arithmetic, in the lecture's own formulas (../shared/seeds/004, after Trask's
"Grokking Deep Learning"): one weight, a weighted sum, several outputs, a hidden layer, gradient
descent with one weight and with many, a neuron on 784 pixels, backpropagation through the NumPy
network (nn.kinds.numpy_net), a convolution and softmax. NumPy only; the page only shows it.

Every example opens on the lecture's numbers (LECTURE), so the page's first figures are the
lecture's printed ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nn.words import term

# The lecture's data: the first four games of a season, and its weights.
TOES = (8.5, 9.5, 9.9, 9.0)  # average number of toes per player
WLREC = (0.65, 0.8, 0.8, 0.9)  # share of games won so far
NFANS = (1.2, 1.3, 0.5, 1.0)  # fans, in millions
WIN = (1, 1, 0, 1)
HURT = (0.1, 0.0, 0.0, 0.1)
SAD = (0.1, 0.0, 0.1, 0.2)
INPUT_NAMES = (term("toes"), term("win %"), term("fans"))  # words the app translates
OUTPUT_NAMES = (term("hurt?"), term("win?"), term("sad?"))
WEIGHTS_ONE_INPUT_THREE_OUTPUTS = (0.3, 0.2, 0.9)
WEIGHTS_THREE_BY_THREE = (
    (0.1, 0.1, -0.3),  # hurt?  (rows: outputs; columns: toes, win %, fans)
    (0.1, 0.2, 0.0),  # win?
    (0.0, 1.3, 0.1),
)  # sad?
INPUT_TO_HIDDEN = (
    (0.1, 0.2, -0.1),  # hid[0]
    (-0.1, 0.1, 0.9),  # hid[1]
    (0.1, 0.4, 0.1),
)  # hid[2]
HIDDEN_TO_OUTPUT = (
    (0.3, 1.1, -0.3),  # hurt?
    (0.1, 0.2, 0.0),  # win?
    (0.0, 1.3, 0.1),
)  # sad?


def game(number: int) -> np.ndarray:
    """The lecture's inputs for game `number` (1-4): toes, win %, fans."""
    i = number - 1
    return np.array([TOES[i], WLREC[i], NFANS[i]])


# --- predicting ---------------------------------------------------------------------------------


def weighted_sum(inputs, weights) -> tuple[np.ndarray, float]:
    """Each input times its weight (the local predictions), and their sum (the prediction)."""
    local = np.asarray(inputs, dtype=float) * np.asarray(weights, dtype=float)
    return local, float(local.sum())


def layer(inputs, weights) -> np.ndarray:
    """vect_mat_mul: one weighted sum of the inputs per row of `weights` (one row per output)."""
    return np.asarray(weights, dtype=float) @ np.asarray(inputs, dtype=float)


def stacked(inputs, input_to_hidden, hidden_to_output) -> tuple[np.ndarray, np.ndarray]:
    """A hidden layer: (hidden values, predictions)."""
    hidden = layer(inputs, input_to_hidden)
    return hidden, layer(hidden, hidden_to_output)


# --- learning -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of gradient descent with one weight, as the lecture prints it: the error and the
    prediction before the step, the weight after it."""

    error: float
    prediction: float
    weight: float
    delta: float  # (prediction - goal) * input: the direction and amount


def gradient_descent(weight: float, goal: float, inputs: float, alpha: float, steps: int) -> list[Step]:
    rows = []
    for _ in range(steps):
        prediction = inputs * weight
        error = (prediction - goal) ** 2
        delta = (prediction - goal) * inputs
        weight = weight - alpha * delta
        rows.append(Step(error, prediction, weight, delta))
    return rows


def diverges(inputs: float, alpha: float) -> bool:
    """Whether each step overshoots more than the last: the error grows when alpha * input^2 > 2
    (each step multiplies the distance to the best weight by 1 - alpha * input^2)."""
    return abs(1 - alpha * inputs * inputs) > 1


def hot_and_cold(weight: float, goal: float, inputs: float, step: float, steps: int) -> list[Step]:
    """Trask's hot and cold learning: try the weight a fixed `step` up and down, keep the better."""
    rows = []
    for _ in range(steps):
        prediction = inputs * weight
        error = (prediction - goal) ** 2
        up, down = ((inputs * (weight + s) - goal) ** 2 for s in (step, -step))
        if min(up, down) < error:
            weight = weight + step if up < down else weight - step
        rows.append(Step(error, prediction, weight, 0.0))
    return rows


@dataclass(frozen=True)
class ManyStep:
    """One step with several weights: prediction(s), error(s), delta(s), the weight deltas and
    the weights after the step."""

    prediction: np.ndarray
    error: np.ndarray
    delta: np.ndarray
    weight_deltas: np.ndarray
    weights: np.ndarray


def many_inputs(weights, inputs, goal: float, alpha: float, steps: int) -> list[ManyStep]:
    """Several inputs, one output: weight_deltas = delta * input, each weight -= alpha * its delta."""
    w, x = np.asarray(weights, dtype=float).copy(), np.asarray(inputs, dtype=float)
    rows = []
    for _ in range(steps):
        prediction = float(x @ w)
        delta = prediction - goal
        weight_deltas = delta * x
        w = w - alpha * weight_deltas
        rows.append(ManyStep(np.array(prediction), np.array(delta**2), np.array(delta), weight_deltas, w))
    return rows


def many_inputs_and_outputs(weights, inputs, goals, alpha: float, steps: int) -> list[ManyStep]:
    """Several inputs and outputs: the weight deltas are the outer product of the inputs and the
    deltas (rows: inputs, columns: outputs, as the lecture's outer_prod(input, delta)); the weight
    from input i to output j moves by alpha * input[i] * delta[j]."""
    w, x, y = (np.asarray(a, dtype=float).copy() for a in (weights, inputs, goals))
    rows = []
    for _ in range(steps):
        prediction = w @ x
        delta = prediction - y
        weight_deltas = np.outer(x, delta)
        w = w - alpha * weight_deltas.T  # w[j][i]: output j's weight on input i
        rows.append(ManyStep(prediction, delta**2, delta, weight_deltas, w))
    return rows


# --- softmax ------------------------------------------------------------------------------------


def softmax(scores) -> np.ndarray:
    z = np.asarray(scores, dtype=float)
    e = np.exp(z - z.max())  # the same probabilities, without overflow
    return e / e.sum()


def cross_entropy(probabilities, true: int) -> float:
    """The loss of predicting `probabilities` when the answer is class `true`: -log p[true]."""
    return float(-np.log(max(float(np.asarray(probabilities)[true]), 1e-12)))
