"""The from-scratch network of our NumPy tutorial: 784 -> 40 ReLU -> 10, written with NumPy only.

    forward:   hidden = relu(x @ W1)          output = hidden @ W2   (no biases, linear output)
    loss:      squared error against the one-hot label, summed over the 10 outputs
    backward:  d_out = output - y             d_hidden = (d_out @ W2.T) * (hidden > 0)
    update:    W2 -= lr * hidden.T @ d_out    W1 -= lr * x.T @ d_hidden

Gradients are summed over a mini-batch, so every image moves the weights as much as it would
alone and the tutorial's learning rate (0.005) works for any batch size. `per_sample` updates the
weights after every image, which is the tutorial's own loop, exactly.

Saved as `.npmlp`: a zip of `format.json` and two `.npy` arrays, read with `allow_pickle=False`
after checking names, sizes, shapes and values, so a file cannot run code.
"""

from __future__ import annotations

import io
import json
import math
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nn import words
from nn.errors import ModelLoadError
from nn.kinds.kind import (
    BATCH_SIZE,
    EPOCHS,
    LEARNING_RATE,
    Kind,
    LayerOutput,
    Predicting,
    Setting,
    ten_classes_only,
    unit_scaled,
)
from nn.limits import NUMPY_FILE_BYTES, NUMPY_MAX_HIDDEN
from nn.progress import LiveMetrics, TrainingDiverged, TrainResult
from nn.storage.files import ArchiveError, zip_entries
from nn.training_config import ConfigError, TrainConfig

SUFFIX = ".npmlp"
PER_SAMPLE = Setting("per_sample", words.term("Update after every image"), bool,
                     help=words.term("The tutorial's own loop: exact, about 5x slower than updating once "
                                     "per batch with the batch's summed gradients"), default=False)
FORMAT = "digitlab-numpy-mlp"
FORMAT_VERSION = 1
INPUTS, OUTPUTS = 28 * 28, 10
SQUARED_ERROR_OF_ZEROS = 1.0  # the loss of a network that outputs all zeros: the "guessing" level
SHOW_WEIGHTS_EVERY = 0.25  # seconds between hidden-weight pictures sent to the page
TEST_BATCH = 2048


class NumpyModelError(ModelLoadError):
    """A .npmlp file that cannot be used; the message says why."""


@dataclass
class NumpyMLP:
    w1: np.ndarray  # (784, hidden): one 28x28 picture of weights per hidden unit
    w2: np.ndarray  # (hidden, 10)

    @classmethod
    def initial(cls, hidden: int = 40, scale: float = 0.1, seed: int = 0,
                dtype=np.float32) -> NumpyMLP:
        """Weights drawn uniformly in [-scale, scale], as in the tutorial."""
        rng = np.random.default_rng(seed)
        return cls(rng.uniform(-scale, scale, (INPUTS, hidden)).astype(dtype),
                   rng.uniform(-scale, scale, (hidden, OUTPUTS)).astype(dtype))

    @property
    def hidden_units(self) -> int:
        return self.w1.shape[1]

    def _flat(self, x: np.ndarray) -> np.ndarray:
        return flat(x, self.w1.dtype, self.w1.shape[0])

    def count_params(self) -> int:
        return int(self.w1.size + self.w2.size)

    def summary_rows(self) -> list[dict]:
        """The same table as nn.kinds.keras.plans.describe gives for a Keras model."""
        return [
            {"layer": "hidden (ReLU, no bias)", "type": "NumPy matmul",
             "output shape": words.shape([self.hidden_units]), "params": int(self.w1.size)},
            {"layer": "output (linear, no bias)", "type": "NumPy matmul",
             "output shape": words.shape([OUTPUTS]), "params": int(self.w2.size)},
        ]

    # --- the network ------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(hidden activations, outputs) for (n, 784) inputs."""
        hidden = np.maximum(x @ self.w1, 0)
        return hidden, hidden @ self.w2

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return self.forward(self._flat(x))[1]

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Half the summed squared error over a batch: what `gradients` differentiates."""
        return 0.5 * float(np.sum((self.outputs(x) - y) ** 2))

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(outputs, dL/dW1, dL/dW2) of `loss` for a batch of (n, 784) inputs."""
        hidden, out = self.forward(x)
        d_out = out - y
        d_hidden = (d_out @ self.w2.T) * (hidden > 0)  # ReLU passes gradient only where it fired
        return out, x.T @ d_hidden, hidden.T @ d_out

    def gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dL/dW1, dL/dW2) of `loss`."""
        return self.backprop(self._flat(x), y)[1:]

    def step(self, x: np.ndarray, y: np.ndarray, learning_rate: float) -> np.ndarray:
        """One gradient-descent update on a batch; returns the outputs before the update."""
        out, g1, g2 = self.backprop(x, y)
        self.w1 -= learning_rate * g1
        self.w2 -= learning_rate * g2
        return out

    def step_per_image(self, x: np.ndarray, y: np.ndarray, learning_rate: float) -> np.ndarray:
        """The tutorial's loop: one update after every image of the batch, each what `step` does
        for a batch of one; returns each image's outputs before its update. Only the rows of w1
        whose pixel is inked are read and changed (an unlit pixel's gradient is 0), which makes
        an update about 3x faster than `step` on one image."""
        outputs = np.empty_like(y)
        for i, (pixels, target) in enumerate(zip(x, y)):
            inked = np.flatnonzero(pixels)
            values, rows = pixels[inked], self.w1[inked]
            hidden = np.maximum(values @ rows, 0)
            outputs[i] = out = hidden @ self.w2
            d_out = out - target
            d_hidden = (self.w2 @ d_out) * (hidden > 0)
            self.w1[inked] = rows - learning_rate * np.outer(values, d_hidden)
            self.w2 -= learning_rate * np.outer(hidden, d_out)
        return outputs

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(n, 10) scores as a distribution: outputs below 0 count as 0, then they sum to 1.

        The network was trained to output the one-hot label, not probabilities; this only makes
        its outputs comparable with the Keras models' softmax (the top class is the same).
        """
        scores = np.maximum(self.outputs(x), 0).astype(np.float32)
        totals = scores.sum(axis=1, keepdims=True)
        uniform = np.full_like(scores, 1 / OUTPUTS)
        return np.where(totals > 0, scores / np.where(totals > 0, totals, 1), uniform)

    def input_gradient(self, image: np.ndarray, class_index: int) -> np.ndarray:
        """d output[class] / d pixel for one image, as (784,)."""
        x = self._flat(image)
        hidden, _ = self.forward(x)
        return self.w1 @ (self.w2[:, class_index] * (hidden[0] > 0))

    # --- files ------------------------------------------------------------------------------
    def save(self, path) -> None:
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "hidden": self.hidden_units,
                "activation": "relu", "output": "linear", "loss": "squared error",
                "dtype": str(self.w1.dtype)}
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("format.json", json.dumps(meta))
            for name, array in (("w1.npy", self.w1), ("w2.npy", self.w2)):
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                archive.writestr(name, buffer.getvalue())


def flat(x: np.ndarray, dtype=np.float32, size: int = INPUTS) -> np.ndarray:
    """(n, 28, 28) or (n, 784) pixels in [0, 1] -> (n, 784)."""
    x = np.asarray(x, dtype=dtype)
    return x.reshape(1 if x.size == size else -1, size)


def load(path) -> NumpyMLP:
    """Read a .npmlp file, refusing anything but the two expected, finite weight arrays."""
    path = Path(path)
    limit = (INPUTS + OUTPUTS) * NUMPY_MAX_HIDDEN * 8 + 4096  # float64 weights of the largest network
    try:
        entries = zip_entries(path, NUMPY_FILE_BYTES, limit,
                              "a Digit Lab NumPy model (.npmlp files are zip archives)")
    except ArchiveError as e:
        raise NumpyModelError(str(e)) from None
    if set(entries) != {"format.json", "w1.npy", "w2.npy"}:
        raise NumpyModelError(
            f"{path.name} holds {sorted(entries)}, expected format.json, w1.npy, w2.npy")
    try:
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("format.json"))
            w1 = np.load(io.BytesIO(archive.read("w1.npy")), allow_pickle=False)
            w2 = np.load(io.BytesIO(archive.read("w2.npy")), allow_pickle=False)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise NumpyModelError(f"{path.name} is damaged: {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
        raise NumpyModelError(f"{path.name} is not a version {FORMAT_VERSION} {FORMAT} file")
    hidden = meta.get("hidden")
    for name, array, shape in (("w1", w1, (INPUTS, hidden)), ("w2", w2, (hidden, OUTPUTS))):
        if array.dtype not in (np.float32, np.float64) or array.shape != shape:
            raise NumpyModelError(
                f"{path.name}: {name} is {array.dtype} {array.shape}, expected float {shape}")
        if not np.isfinite(array).all():
            raise NumpyModelError(f"{path.name}: {name} holds NaN or infinite weights")
    return NumpyMLP(w1, w2)


# --- training ---------------------------------------------------------------------------------------

def config_problems(config) -> list[str]:
    """Settings of a TrainConfig that this network does not have, as sentences for people."""
    problems = []
    if config.optimizer != "sgd":
        problems.append("the NumPy network learns by plain gradient descent: choose the sgd optimizer")
    if config.augment:
        problems.append("the NumPy network trains without augmentation: turn it off")
    if config.lr_schedule != "constant" or config.label_smoothing:
        problems.append("the NumPy network uses a constant learning rate and no label smoothing")
    return problems


def _accuracy_and_loss(model: NumpyMLP, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean squared error (summed over outputs) on images scaled to [0, 1] (flat or
    28x28) and int labels."""
    correct, error = 0, 0.0
    for i in range(0, len(x), TEST_BATCH):
        out = model.outputs(x[i:i + TEST_BATCH])
        target = np.eye(OUTPUTS, dtype=out.dtype)[y[i:i + TEST_BATCH]]
        correct += int((out.argmax(axis=1) == y[i:i + TEST_BATCH]).sum())
        error += float(((out - target) ** 2).sum())
    return correct / max(len(x), 1), error / max(len(x), 1)


def _one_epoch(model: NumpyMLP, x: np.ndarray, targets: np.ndarray, config, recorder: LiveMetrics,
               shown: list[float]) -> dict:
    """One pass over the training images, batch by batch; the epoch's running loss and accuracy.
    `shown` holds when the hidden weights were last published (a list: updated in place)."""
    lr, size = float(config.learning_rate), config.batch_size
    error_sum, correct, seen = 0.0, 0, 0
    for batch in range(recorder.progress.batches_per_epoch):
        xb, yb = x[batch * size:(batch + 1) * size], targets[batch * size:(batch + 1) * size]
        step = model.step_per_image if PER_SAMPLE.value_in(config) else model.step
        out = step(xb, yb, lr)
        error_sum += float(((out - yb) ** 2).sum())
        correct += int((out.argmax(axis=1) == yb.argmax(axis=1)).sum())
        seen += len(xb)
        # running means over the epoch, as Keras reports them
        recorder.on_train_batch_end(batch, {"loss": error_sum / seen, "accuracy": correct / seen})
        if time.monotonic() - shown[0] >= SHOW_WEIGHTS_EVERY:
            recorder.show_hidden_weights(model.w1)
            shown[0] = time.monotonic()
        if recorder.halt:
            break
    return {"loss": error_sum / max(seen, 1), "accuracy": correct / max(seen, 1)}


def train(model: NumpyMLP, data, config, recorder: LiveMetrics | None = None, initial_epoch: int = 0,
          on_epoch_end=None) -> TrainResult:
    """Gradient descent over the training images in order, as the tutorial does.

    After every epoch the whole test set is scored too, so the page can show the overfitting the
    tutorial is about (training accuracy near 100% while test accuracy falls). `on_epoch_end(n,
    model)` is called after each complete epoch; `initial_epoch` continues a resumed run.
    """
    from nn.data import training_split

    problems = config_problems(config)
    if problems:
        raise ConfigError("; ".join(problems))
    config.check(train_size=len(data.x_train))
    x, y, x_val, y_val = training_split(data, config)
    x = flat(x / np.float32(255), model.w1.dtype)
    # Scaled once: converting the 10,000 test images cost ten times scoring them, every epoch.
    x_val = flat(x_val / np.float32(255), model.w1.dtype)
    x_test = flat(data.x_test / np.float32(255), model.w1.dtype)
    targets = np.eye(OUTPUTS, dtype=model.w1.dtype)[y]
    if recorder is None:
        recorder = NumpyKind().new_recorder(config, len(x), None)
    recorder.on_train_begin()
    recorder.show_hidden_weights(model.w1)
    start = time.monotonic()
    shown = [start]
    for epoch in range(initial_epoch, config.epochs):
        recorder.on_epoch_begin(epoch)
        logs = _one_epoch(model, x, targets, config, recorder, shown)
        if len(x_val):
            logs["val_accuracy"], logs["val_loss"] = _accuracy_and_loss(model, x_val, y_val)
        logs["test_accuracy"], logs["test_loss"] = _accuracy_and_loss(model, x_test, data.y_test)
        recorder.on_epoch_end(epoch, logs)
        if recorder.halt:
            break
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, model)
    seconds = time.monotonic() - start
    recorder.show_hidden_weights(model.w1)
    if recorder.diverged:
        raise TrainingDiverged(recorder.diverged)
    test_accuracy, test_loss = _accuracy_and_loss(model, x_test, data.y_test)
    history = recorder.snapshot().history
    return TrainResult(history=history, test_loss=test_loss, test_accuracy=test_accuracy,
                       seconds=seconds, stopped=recorder.end_early.is_set(),
                       epochs_completed=len(history))


# Training cost on the 2-core reference machine, per image (bench: "Time estimates").
IMAGE_SECONDS = 2.0e-6
PER_SAMPLE_IMAGE_SECONDS = 1.0e-5  # one update per image: about five times slower
EPOCH_SECONDS = 0.012  # scoring the 10,000 test images after every epoch


class NumpyPredictor(Predicting):
    """Predictions of the NumPy network (its forward pass is already fast)."""

    def __init__(self, model: NumpyMLP):
        self.model = model

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32)
        if images.shape[-2:] != (28, 28) and images.shape[-1] != INPUTS:
            raise ValueError(f"expected 28x28 images, got shape {images.shape}")
        return self.model.probabilities(images)

    def saliency(self, image28: np.ndarray, class_index: int | None = None) -> np.ndarray:
        """|d output(class) / d pixel|, scaled to [0, 1]."""
        if class_index is None:
            class_index = int(np.argmax(self.model.outputs(image28)[0]))
        return unit_scaled(self.model.input_gradient(image28, class_index))

    def layer_outputs(self, image28: np.ndarray) -> list[LayerOutput]:
        hidden, out = self.model.forward(self.model._flat(image28))
        return [LayerOutput("hidden", "ReLU", hidden[0]), LayerOutput("output", "Linear", out[0])]

    def features(self, images: np.ndarray) -> np.ndarray:
        return self.model.forward(self.model._flat(images))[0]

    def first_weights(self) -> tuple[str, np.ndarray]:
        return "units", self.model.w1.T.reshape(-1, 28, 28)


class NumpyKind(Kind):
    name = "numpy"
    suffix = SUFFIX
    file_title = words.term("a Digit Lab NumPy network (.npmlp)")
    title = words.term("the NumPy network")
    settings = (EPOCHS, BATCH_SIZE, LEARNING_RATE, PER_SAMPLE)
    chance_loss = SQUARED_ERROR_OF_ZEROS

    def build(self, source, seed: int, classes: int = 10) -> NumpyMLP:
        ten_classes_only(self.title, classes)
        return NumpyMLP.initial(seed=seed)

    def describe(self, source, classes: int = 10) -> list[dict]:
        return NumpyMLP.initial().summary_rows()

    def estimate_seconds(self, source, config: TrainConfig, train_size: int) -> float:
        per_image = PER_SAMPLE_IMAGE_SECONDS if PER_SAMPLE.value_in(config) else IMAGE_SECONDS
        return config.epochs * (config.training_images(train_size) * per_image + EPOCH_SECONDS)

    def config_problems(self, config: TrainConfig) -> list[str]:
        return super().config_problems(config) + config_problems(config)

    def new_recorder(self, config: TrainConfig, train_images: int, end_early) -> LiveMetrics:
        steps = math.ceil(train_images / config.batch_size)
        return LiveMetrics(config.epochs, steps, train_images, config.batch_size, end_early=end_early,
                           chance_loss=SQUARED_ERROR_OF_ZEROS)

    def train(self, model, data, config, recorder, initial_epoch=0, on_epoch_end=None):
        return train(model, data, config, recorder, initial_epoch, on_epoch_end)

    def owns(self, model) -> bool:
        return isinstance(model, NumpyMLP)

    def save(self, model: NumpyMLP, path: Path) -> None:
        model.save(path)

    def load(self, path: Path) -> NumpyMLP:
        return load(path)

    def check_file(self, path: Path) -> None:
        load(path)  # two arrays, read without pickle and checked

    def params(self, model: NumpyMLP) -> int:
        return model.count_params()

    def predictor(self, model: NumpyMLP) -> NumpyPredictor:
        return NumpyPredictor(model)

    export_formats = ("onnx",)

    def export(self, path: Path, fmt: str, out: Path) -> None:

        out.write_bytes(onnx_graph(load(path)).SerializeToString())


def onnx_graph(model: NumpyMLP):
    """The network as a small ONNX graph, with its probabilities as NumpyMLP.probabilities makes
    them: relu(relu(x @ W1) @ W2), then each row divided by its sum (a uniform row where that is 0)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    constants = [numpy_helper.from_array(np.asarray(value, np.float32), name) for name, value in (
        ("w1", model.w1), ("w2", model.w2), ("zero", 0.0), ("one", 1.0), ("uniform", 1.0 / OUTPUTS))]
    constants.append(numpy_helper.from_array(np.array([1, INPUTS], np.int64), "flat"))
    constants.append(numpy_helper.from_array(np.array([1], np.int64), "rows"))
    nodes = [
        helper.make_node("Reshape", ["pixels", "flat"], ["x"]),
        helper.make_node("MatMul", ["x", "w1"], ["h"]),
        helper.make_node("Relu", ["h"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "w2"], ["o"]),
        helper.make_node("Relu", ["o"], ["scores"]),
        helper.make_node("ReduceSum", ["scores", "rows"], ["total"], keepdims=1),
        helper.make_node("Greater", ["total", "zero"], ["some"]),
        helper.make_node("Where", ["some", "total", "one"], ["divisor"]),
        helper.make_node("Div", ["scores", "divisor"], ["shares"]),
        helper.make_node("Where", ["some", "shares", "uniform"], ["probabilities"]),
    ]
    graph = helper.make_graph(
        nodes, "numpy-mlp", [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, OUTPUTS])], constants)
    # IR 9: what the browser's onnxruntime-web 1.30 reads (onnx 1.23 writes 11 unless told).
    made = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    onnx.checker.check_model(made)
    return made
