"""A Keras model's forward pass in NumPy, read straight from its `.keras` file.

TensorFlow takes about four seconds of CPU to import. The Draw page's first answer cannot wait
for that, and one drawing needs only a few milliseconds of arithmetic: so a model that is a chain
of the standard layers our presets use (reshape, convolution, max-pooling, batch norm, dropout,
flatten, dense, activation) is also run here, in NumPy, from the file's config.json and weights.
Anything else (other layers, branches, strides) returns None and the caller uses TensorFlow.

The file is read as data only: its archive is checked first (nn.kinds.keras.kind.check_archive), the
config is JSON, the weights are HDF5 arrays; nothing from the file is executed. A test checks
every preset's outputs against Keras itself.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def _normalised(e: np.ndarray) -> np.ndarray:
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))).astype(x.dtype),
    "softmax": lambda x: _normalised(np.exp(x - x.max(axis=-1, keepdims=True))),
}
WEIGHTED = {"Conv2D", "BatchNormalization", "Dense"}
SHAPED = {"InputLayer", "Reshape", "MaxPooling2D", "Dropout", "Flatten", "Activation"}


def snake(class_name: str) -> str:
    """Keras' name for a layer class in its weights file: Conv2D -> conv2d, BatchNormalization ->
    batch_normalization (keras.src.utils.naming.to_snake_case)."""
    intermediate = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str  # the Keras class name
    config: dict
    weights: tuple[np.ndarray, ...]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return getattr(self, f"_{snake(self.kind)}")(x)

    def _input_layer(self, x):
        return x

    _dropout = _input_layer

    def _reshape(self, x):
        return x.reshape((len(x), *self.config["target_shape"]))

    def _flatten(self, x):
        return x.reshape(len(x), -1)

    def _activation(self, x):
        return ACTIVATIONS[self.config["activation"]](x)

    def _max_pooling2d(self, x):
        n, h, w, c = x.shape
        h, w = h // 2 * 2, w // 2 * 2
        return x[:, :h, :w].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))

    def _conv2d(self, x):
        kernel = self.weights[0]
        k = kernel.shape[0]
        if self.config["padding"] == "same":
            x = np.pad(x, ((0, 0), ((k - 1) // 2, k // 2), ((k - 1) // 2, k // 2), (0, 0)))
        windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # n, oh, ow, c, k, k
        n, oh, ow = windows.shape[:3]
        columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, -1)
        out = (columns @ kernel.reshape(-1, kernel.shape[-1])).reshape(n, oh, ow, -1)
        if self.config["use_bias"]:
            out = out + self.weights[1]
        return ACTIVATIONS[self.config["activation"]](out)

    def _batch_normalization(self, x):
        weights = list(self.weights)
        gamma = weights.pop(0) if self.config["scale"] else 1.0
        beta = weights.pop(0) if self.config["center"] else 0.0
        mean, variance = weights
        return (x - mean) / np.sqrt(variance + self.config["epsilon"]) * gamma + beta

    def _dense(self, x):
        out = x @ self.weights[0]
        if self.config["use_bias"]:
            out = out + self.weights[1]
        return ACTIVATIONS[self.config["activation"]](out)


def _supported(layer: dict) -> bool:
    kind, c = layer["class_name"], layer["config"]
    if kind not in WEIGHTED | SHAPED:
        return False
    if c.get("activation", "linear") not in ACTIVATIONS:
        return False
    if kind == "Conv2D":
        odd = c["kernel_size"][0] == c["kernel_size"][1] and c["kernel_size"][0] % 2 == 1
        return (odd and c["padding"] in ("valid", "same") and list(c["strides"]) == [1, 1]
                and list(c["dilation_rate"]) == [1, 1] and c.get("groups", 1) == 1
                and c["data_format"] == "channels_last")
    if kind == "MaxPooling2D":
        return list(c["pool_size"]) == [2, 2] and list(c["strides"]) == [2, 2] and c["padding"] == "valid"
    if kind == "BatchNormalization":
        return c["axis"] in (-1, 3, [-1], [3])
    return True


def _sources(node) -> list[str]:
    """The names of the layers whose outputs a layer's inbound nodes read (their keras_history)."""
    if isinstance(node, dict):
        history = node.get("keras_history")
        found = [history[0]] if isinstance(history, list) and history else []
        return found + [name for value in node.values() for name in _sources(value)]
    if isinstance(node, list):
        return [name for item in node for name in _sources(item)]
    return []


def _a_chain(layers: list[dict]) -> bool:
    """Each layer reads the output of the one before it, and nothing else."""
    return all(_sources(layer.get("inbound_nodes") or []) == [before["config"]["name"]]
               for before, layer in zip(layers, layers[1:]))


class NumpyForward:
    """The model's layers, run one after another on (n, 28, 28) float32 images."""

    def __init__(self, layers: list[Layer]):
        self.layers = layers

    def outputs(self, images: np.ndarray) -> list[np.ndarray]:
        """Every layer's output, in order (the input layer's is the input itself)."""
        x = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28)
        outputs = []
        for layer in self.layers:
            x = layer(x).astype(np.float32, copy=False)
            outputs.append(x)
        return outputs

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        return self.outputs(images)[-1]


def read(path: Path) -> NumpyForward | None:
    """The NumPy forward pass of a .keras file, or None when its layers are not all supported.

    The archive must already have passed nn.kinds.keras.kind.check_archive.
    """
    import h5py

    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights_file = io.BytesIO(archive.read("model.weights.h5"))
    layers = config.get("config", {}).get("layers", [])
    if config.get("class_name") not in ("Functional", "Sequential") or not layers:
        return None
    if not all(_supported(layer) for layer in layers):
        return None
    if config["class_name"] == "Functional" and not _a_chain(layers):
        return None
    counts: dict[str, int] = {}
    built = []
    with h5py.File(weights_file, "r") as h5:
        for layer in layers:
            key = snake(layer["class_name"])
            n = counts.get(key, 0)
            counts[key] = n + 1
            stored = h5.get(f"layers/{key}{'_' + str(n) if n else ''}/vars")
            arrays = tuple(np.asarray(stored[str(i)], dtype=np.float32) for i in range(len(stored))) \
                if stored is not None else ()
            built.append(Layer(layer["config"]["name"], layer["class_name"], layer["config"], arrays))
    if built[-1].kind != "Dense" or built[-1].config["units"] != 10:
        return None
    return NumpyForward(built)
