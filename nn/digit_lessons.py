"""The Learn page's lessons on a drawing (28x28, in [0, 1]): a neuron on 784 pixels, backpropagation
through the lecture's NumPy network (nn.kinds.numpy_net: its own forward and backward pass), and a
convolution with pooling. The small networks they need train here in a fraction of a second, once
per process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nn.kinds.numpy_net import NumpyMLP
from nn.lessons import softmax

ONE_LAYER_IMAGES, ONE_LAYER_EPOCHS, ONE_LAYER_RATE, ONE_LAYER_BATCH = 5000, 5, 0.5, 100
MLP_IMAGES, MLP_EPOCHS, MLP_RATE, MLP_BATCH = 1000, 20, 0.005, 32  # the lecture's learning rate
LECTURE_ALPHA = 0.005


def _scaled(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).reshape(len(x), -1) / np.float32(255)


# --- a neuron on 784 pixels -----------------------------------------------------------------------


@dataclass(frozen=True)
class OneLayer:
    """784 -> 10 softmax: one weight per pixel and digit, one bias per digit."""

    weights: np.ndarray  # (784, 10)
    bias: np.ndarray  # (10,)
    accuracy: float  # on the first 2,000 test images


def one_layer(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> OneLayer:
    """Softmax regression by mini-batch gradient descent on the first ONE_LAYER_IMAGES images."""
    x = _scaled(x_train[:ONE_LAYER_IMAGES])
    y = y_train[:ONE_LAYER_IMAGES]
    rng = np.random.default_rng(0)
    w, b = np.zeros((784, 10), np.float32), np.zeros(10, np.float32)
    onehot = np.eye(10, dtype=np.float32)[y]
    for _ in range(ONE_LAYER_EPOCHS):
        order = rng.permutation(len(x))
        for start in range(0, len(x), ONE_LAYER_BATCH):
            batch = order[start : start + ONE_LAYER_BATCH]
            scores = x[batch] @ w + b
            p = np.exp(scores - scores.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            d = (p - onehot[batch]) / len(batch)  # cross-entropy's gradient at the scores
            w -= ONE_LAYER_RATE * x[batch].T @ d
            b -= ONE_LAYER_RATE * d.sum(axis=0)
    xt, yt = _scaled(x_test[:2000]), y_test[:2000]
    return OneLayer(w, b, float(((xt @ w + b).argmax(axis=1) == yt).mean()))


_trained: dict[tuple[str, str], object] = {}  # (network, data set) -> trained once a process


def _once(network: str, data, train):
    """`train()` for a built-in data set (they never change), once a process; two sessions at once
    may both train it (a tenth of a second), and either result is the same."""
    key = (network, data.name)
    if key not in _trained:
        _trained[key] = train()
    return _trained[key]


def one_layer_of(data) -> OneLayer:
    return _once("one-layer", data, lambda: one_layer(data.x_train, data.y_train, data.x_test, data.y_test))


@dataclass(frozen=True)
class NeuronSums:
    products: np.ndarray  # (10, 28, 28): the drawing times each digit's weights, pixel by pixel
    sums: np.ndarray  # (10,): each digit's weighted sum
    scores: np.ndarray  # sums + bias
    probabilities: np.ndarray  # softmax of the scores


def neuron_sums(net: OneLayer, image28: np.ndarray) -> NeuronSums:
    x = np.asarray(image28, dtype=np.float32).reshape(784)
    products = (x[:, None] * net.weights).T.reshape(10, 28, 28)
    sums = products.reshape(10, -1).sum(axis=1)
    scores = sums + net.bias
    return NeuronSums(products, sums, scores, softmax(scores))


# --- backpropagation through the NumPy network ---------------------------------------------------


def lecture_network(x_train: np.ndarray, y_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's 784 -> 40 ReLU -> 10, trained briefly (MLP_EPOCHS passes over MLP_IMAGES
    images, with the network's own step): its weights."""
    x = _scaled(x_train[:MLP_IMAGES])
    y = np.eye(10, dtype=np.float32)[y_train[:MLP_IMAGES]]
    net = NumpyMLP.initial(seed=0)
    for _ in range(MLP_EPOCHS):
        for start in range(0, len(x), MLP_BATCH):
            net.step(x[start : start + MLP_BATCH], y[start : start + MLP_BATCH], MLP_RATE)
    return net.w1, net.w2


def lecture_network_of(data) -> NumpyMLP:
    """A copy of the trained lecture network, free to learn further."""
    w1, w2 = _once("lecture", data, lambda: lecture_network(data.x_train, data.y_train))
    return NumpyMLP(w1.copy(), w2.copy())


@dataclass(frozen=True)
class Backprop:
    """One step of backpropagation on one drawing, every array of it."""

    layer_0: np.ndarray  # (784,) the pixels
    layer_1: np.ndarray  # (40,) relu(layer_0 @ W1)
    layer_2: np.ndarray  # (10,) layer_1 @ W2: the prediction
    goal: np.ndarray  # (10,) one-hot
    error: float  # sum of (layer_2 - goal)^2
    delta_2: np.ndarray  # layer_2 - goal
    delta_1: np.ndarray  # (delta_2 @ W2.T) * relu'(layer_1)
    weight_deltas_2: np.ndarray  # outer(layer_1, delta_2)
    weight_deltas_1: np.ndarray  # outer(layer_0, delta_1)
    after: np.ndarray  # (10,) the prediction after the step


def backprop_step(net: NumpyMLP, image28: np.ndarray, label: int, alpha: float) -> Backprop:
    """One step of the network's own backprop (NumpyMLP.backprop) on the drawing; `net` learns."""
    x = np.asarray(image28, dtype=net.w1.dtype).reshape(1, 784)
    goal = np.zeros((1, 10), dtype=net.w1.dtype)
    goal[0, label] = 1
    hidden, _ = net.forward(x)
    out, g1, g2 = net.backprop(x, goal)
    delta_2 = out[0] - goal[0]
    delta_1 = (delta_2 @ net.w2.T) * (hidden[0] > 0)
    net.w1 -= alpha * g1
    net.w2 -= alpha * g2
    return Backprop(
        x[0],
        hidden[0],
        out[0],
        goal[0],
        float(np.sum(delta_2**2)),
        delta_2,
        delta_1,
        g2,
        g1,
        net.outputs(x)[0],
    )


# --- convolution -----------------------------------------------------------------------------------

HAND_KERNELS = {  # 3x3 kernels one can reason about
    "vertical-edge": np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float32),
    "horizontal-edge": np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], dtype=np.float32),
    "blur": np.full((3, 3), 1 / 9, dtype=np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
}


def convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The kernel slid over the image without padding, as Keras' Conv2D does it (each output is the
    sum of the patch under the kernel times the kernel, not flipped)."""
    k = kernel.shape[0]
    patches = np.lib.stride_tricks.sliding_window_view(np.asarray(image, dtype=np.float32), (k, k))
    return np.einsum("ijkl,kl->ij", patches, kernel)


def one_output(image: np.ndarray, kernel: np.ndarray, row: int, col: int) -> tuple[np.ndarray, float]:
    """The patch under the kernel for output pixel (row, col), and its sum of products."""
    k = kernel.shape[0]
    patch = np.asarray(image, dtype=np.float32)[row : row + k, col : col + k]
    return patch, float((patch * kernel).sum())


def output_pixel(feature_map: np.ndarray, row: int, col: int) -> tuple[int, int]:
    """The output pixel asked for, inside the map; -1 for either: where the kernel answered most."""
    if row < 0 or col < 0:
        strongest = np.unravel_index(int(np.argmax(np.abs(feature_map))), feature_map.shape)
        row, col = (int(strongest[0]) if row < 0 else row), (int(strongest[1]) if col < 0 else col)
    return min(row, feature_map.shape[0] - 1), min(col, feature_map.shape[1] - 1)


def max_pool(feature_map: np.ndarray, size: int = 2) -> np.ndarray:
    """The largest value of each size x size block (a last row or column that does not fill a
    block is dropped, as Keras' MaxPooling2D does)."""
    h, w = (d // size * size for d in feature_map.shape)
    blocks = feature_map[:h, :w].reshape(h // size, size, w // size, size)
    return blocks.max(axis=(1, 3))
