"""Model presets (the reference tutorials' models and our best CNN) and the custom model builder.

Every model takes (batch, 28, 28) float32 pixels in [0, 1] and returns softmax probabilities over
10 classes, so the loss is plain (sparse) categorical cross-entropy, never `from_logits=True`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import keras
from keras import layers

INPUT_SHAPE = (28, 28)
NUM_CLASSES = 10
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu")


class UnknownModelError(ValueError):
    pass


@dataclass(frozen=True)
class DenseSpec:
    """A custom multilayer perceptron."""

    hidden: tuple[int, ...] = (128,)  # units of each hidden layer
    activation: str = "relu"  # of the hidden layers
    dropout: float = 0.0  # after each hidden layer; 0 for none
    kind: str = field(default="dense", init=False)


@dataclass(frozen=True)
class ConvSpec:
    """A custom CNN: conv blocks (conv -> relu -> max-pool 2), then a dense head."""

    blocks: tuple[tuple[int, int], ...] = ((32, 3), (64, 3))  # (filters, kernel size) per block
    dense: tuple[int, ...] = (128,)  # units of the dense head
    dropout: float = 0.25  # before the output layer; 0 for none
    batch_norm: bool = False  # after each convolution
    kind: str = field(default="cnn", init=False)


ModelSpec = DenseSpec | ConvSpec


@dataclass(frozen=True)
class Preset:
    name: str
    description: str  # one line, for people
    source: str  # the tutorial it comes from
    optimizer: str  # "adam", "sgd" or "rmsprop"
    learning_rate: float
    batch_size: int
    epochs: int
    augment: bool = False  # train with data augmentation by default
    lr_schedule: str = "constant"  # or "cosine" (warm-up then cosine decay)
    subset: int | None = None  # train on only the first N images by default
    validation_split: float = 0.1
    framework: str = "keras"  # or "numpy" (nn.numpy_mlp, no TensorFlow)


PRESETS = {
    p.name: p
    for p in (
        Preset("dense-128", "Flatten -> Dense 128 relu -> Dense 10 softmax: the classic first network",
               "TensorFlow basic classification tutorial", "adam", 1e-3, 32, 5),
        Preset("dense-128x2", "Two hidden layers of 128 relu units",
               "TensorFlow basic classification tutorial (MNIST part)", "adam", 1e-3, 32, 5),
        Preset("sigmoid-10", "784 inputs -> Dense 10 sigmoid -> Dense 10 softmax, plain SGD",
               "\"MNIST in 10 lines\" tutorial", "sgd", 0.5, 32, 10),
        Preset("cnn-1", "One conv layer of 28 3x3 filters, max-pool, Dense 128, dropout 0.2",
               "Neural networks lecture, first Keras CNN", "adam", 1e-3, 64, 5),
        Preset("cnn-2", "Two conv layers (32 5x5, 32 3x3) with max-pooling, dropout, Dense 128",
               "Neural networks lecture, second Keras CNN", "adam", 1e-3, 64, 5),
        Preset("cnn-best", "Ours: 4 conv layers with batch norm, augmentation, warm-up + cosine LR",
               "Digit Lab", "adam", 3e-3, 256, 15, augment=True, lr_schedule="cosine"),
        Preset("cnn-wide", "Ours, wider for harder data such as Fashion-MNIST: cnn-best with 64 and 128 "
               "filters, 30 epochs", "Digit Lab", "adam", 2e-3, 128, 30, augment=True, lr_schedule="cosine"),
        Preset("dense-best", "Ours: two hidden layers of 256 relu units with dropout 0.2, augmentation, "
               "warm-up + cosine LR", "Digit Lab", "adam", 2e-3, 128, 20, augment=True,
               lr_schedule="cosine"),
        Preset("numpy-mlp", "784 -> 40 ReLU -> 10, written in NumPy: forward pass, backpropagation and "
               "gradient descent by hand, on 1,000 images", "\"Neural network from scratch\" NumPy tutorial",
               "sgd", 0.005, 32, 350, subset=1000, validation_split=0.0, framework="numpy"),
    )
}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownModelError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}") from None


# --- builders ------------------------------------------------------------------------------

def _inputs() -> keras.KerasTensor:
    return keras.Input(shape=INPUT_SHAPE, name="pixels")


def _as_image(x: keras.KerasTensor) -> keras.KerasTensor:
    return layers.Reshape((*INPUT_SHAPE, 1), name="as_image")(x)  # no parameters


def _softmax(x: keras.KerasTensor) -> keras.KerasTensor:
    return layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)


def _dense_128(width: int = 1) -> keras.Model:
    inputs = _inputs()
    x = layers.Flatten()(inputs)
    for _ in range(width):
        x = layers.Dense(128, activation="relu")(x)
    return keras.Model(inputs, _softmax(x))


def _sigmoid_10() -> keras.Model:
    inputs = _inputs()
    x = layers.Flatten()(inputs)
    x = layers.Dense(10, activation="sigmoid")(x)
    return keras.Model(inputs, _softmax(x))


def _cnn_1() -> keras.Model:
    inputs = _inputs()
    x = layers.Conv2D(28, 3)(_as_image(inputs))  # the tutorial's conv has no activation
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    return keras.Model(inputs, _softmax(x))


def _cnn_2() -> keras.Model:
    inputs = _inputs()
    x = layers.Conv2D(32, 5, activation="relu")(_as_image(inputs))
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    return keras.Model(inputs, _softmax(x))


def _cnn_best(widths: tuple[int, int] = (32, 64)) -> keras.Model:
    """Two blocks of conv-relu, conv-relu, max-pool, then batch norm, then a dense head.

    Batch norm sits after the pooling, on a quarter of the values: on this 2-core CPU batch norm
    after every full-size convolution took 45% of a training step (an epoch 33 s instead of 61 s).
    """
    inputs = _inputs()
    x = _as_image(inputs)
    for filters in widths:
        x = layers.Conv2D(filters, 3, activation="relu")(x)
        x = layers.Conv2D(filters, 3, activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Dropout(0.25)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, use_bias=False)(x)  # batch norm supplies the bias
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(0.4)(x)
    return keras.Model(inputs, _softmax(x))


PRESET_BUILDERS = {
    "dense-128": _dense_128,
    "dense-128x2": lambda: _dense_128(width=2),
    "sigmoid-10": _sigmoid_10,
    "cnn-1": _cnn_1,
    "cnn-2": _cnn_2,
    "cnn-best": _cnn_best,
    "cnn-wide": lambda: _cnn_best(widths=(64, 128)),
    "dense-best": lambda: _custom_dense(DenseSpec(hidden=(256, 256), dropout=0.2)),
}


def _custom_dense(spec: DenseSpec) -> keras.Model:
    inputs = _inputs()
    x = layers.Flatten()(inputs)
    for units in spec.hidden:
        x = layers.Dense(units, activation=spec.activation)(x)
        if spec.dropout:
            x = layers.Dropout(spec.dropout)(x)
    return keras.Model(inputs, _softmax(x))


def _custom_cnn(spec: ConvSpec) -> keras.Model:
    inputs = _inputs()
    x = _as_image(inputs)
    for filters, kernel in spec.blocks:
        x = layers.Conv2D(filters, kernel, padding="same", use_bias=not spec.batch_norm)(x)
        if spec.batch_norm:
            x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    for units in spec.dense:
        x = layers.Dense(units, activation="relu")(x)
    if spec.dropout:
        x = layers.Dropout(spec.dropout)(x)
    return keras.Model(inputs, _softmax(x))


def validate_spec(spec: ModelSpec) -> list[str]:
    """Problems with a custom spec, as sentences for people; empty when it can be built."""
    errors = []
    if not 0 <= spec.dropout < 1:
        errors.append(f"dropout must be in [0, 1), got {spec.dropout}")
    if isinstance(spec, DenseSpec):
        if not 1 <= len(spec.hidden) <= 8:
            errors.append("a dense model needs 1 to 8 hidden layers")
        if any(not 1 <= u <= 4096 for u in spec.hidden):
            errors.append("hidden layer sizes must be between 1 and 4096")
        if spec.activation not in ACTIVATIONS:
            errors.append(f"activation must be one of {', '.join(ACTIVATIONS)}")
        return errors
    size = INPUT_SHAPE[0]
    if not 1 <= len(spec.blocks) <= 4:
        errors.append("a CNN needs 1 to 4 conv blocks")
    for filters, kernel in spec.blocks:
        if not 1 <= filters <= 512 or kernel not in (1, 3, 5, 7):
            errors.append("conv blocks need 1-512 filters and a kernel size of 1, 3, 5 or 7")
        size //= 2
    if size < 1:
        errors.append("too many conv blocks: the 28x28 image shrinks below 1x1")
    if any(not 1 <= u <= 4096 for u in spec.dense):
        errors.append("dense head sizes must be between 1 and 4096")
    return errors


def is_numpy(model: str | ModelSpec) -> bool:
    """True for the NumPy network's preset, which nn.numpy_mlp builds and trains."""
    return isinstance(model, str) and model in PRESETS and PRESETS[model].framework == "numpy"


def build_model(model: str | ModelSpec, seed: int = 0):
    """A fresh, uncompiled model from a preset name or a custom spec (NumpyMLP for numpy-mlp)."""
    if is_numpy(model):
        from nn.numpy_mlp import NumpyMLP

        return NumpyMLP.initial(seed=seed)
    if isinstance(model, str):
        preset(model)  # raises with the list of known presets
        built = PRESET_BUILDERS[model]()
        built.name = model
        return built
    errors = validate_spec(model)
    if errors:
        raise ValueError("; ".join(errors))
    built = _custom_dense(model) if isinstance(model, DenseSpec) else _custom_cnn(model)
    built.name = f"custom-{model.kind}"
    return built


def spec_to_dict(spec: ModelSpec) -> dict:
    return asdict(spec)


def spec_from_dict(data: dict) -> ModelSpec:
    """Inverse of spec_to_dict; unknown keys raise."""
    data = dict(data)
    kind = data.pop("kind", None)
    cls = {"dense": DenseSpec, "cnn": ConvSpec}.get(kind)
    if cls is None:
        raise ValueError(f"unknown model kind {kind!r}; expected 'dense' or 'cnn'")
    known = {f for f in cls.__dataclass_fields__ if f != "kind"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown {kind} spec keys: {', '.join(sorted(unknown))}")
    if "hidden" in data:
        data["hidden"] = tuple(int(u) for u in data["hidden"])
    if "dense" in data:
        data["dense"] = tuple(int(u) for u in data["dense"])
    if "blocks" in data:
        data["blocks"] = tuple((int(f), int(k)) for f, k in data["blocks"])
    return cls(**data)


def summary_rows(model) -> list[dict]:
    """The rows of `model.summary()`: layer, type, output shape, parameters."""
    if hasattr(model, "summary_rows"):  # the NumPy network describes itself
        return model.summary_rows()
    rows = []
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        rows.append({
            "layer": layer.name,
            "type": type(layer).__name__,
            "output shape": str(tuple(shape.shape)) if shape is not None else "",
            "params": int(layer.count_params()),
        })
    return rows
