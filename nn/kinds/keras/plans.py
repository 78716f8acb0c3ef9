"""The Keras architectures, as plans of layers.

Every Keras model here is a plan: a tuple of small layer records. `build_keras` turns a plan into a
model that takes (batch, 28, 28) float32 pixels in [0, 1] and returns softmax probabilities over 10
classes (so the loss is plain categorical cross-entropy, never `from_logits=True`). `describe`
reads the same plan without TensorFlow: the layer table (shapes, parameters) and the cost of one
image, which is what the Train page shows and what time estimates use. A test checks both against
Keras' own model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from nn import words
from nn.limits import MAX_CONV_BLOCKS, MAX_DENSE_LAYERS, MAX_FILTERS, MAX_SIZES_TEXT, MAX_UNITS

INPUT_SHAPE = (28, 28)
NUM_CLASSES = 10
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu")
KERNEL_SIZES = (1, 3, 5, 7)


# --- layers of a plan ------------------------------------------------------------------------

@dataclass(frozen=True)
class AsImage:
    """(28, 28) -> (28, 28, 1), no parameters."""


@dataclass(frozen=True)
class Conv:
    filters: int
    kernel: int
    activation: str | None = "relu"
    padding: str = "valid"
    bias: bool = True


@dataclass(frozen=True)
class Pool:
    size: int = 2


@dataclass(frozen=True)
class Norm:
    """Batch normalisation over the last axis."""

    # How much of its running statistics each batch replaces: Keras' 0.99 keeps the first
    # batches' activations in them for hundreds of steps, and cnn-best trained for one epoch then
    # read 20% of the test set (98% with batch statistics). 0.9 follows within a few steps.
    momentum: float = 0.9


@dataclass(frozen=True)
class Drop:
    rate: float


@dataclass(frozen=True)
class Flat:
    pass


@dataclass(frozen=True)
class Dense:
    units: int
    activation: str | None = "relu"
    bias: bool = True


@dataclass(frozen=True)
class Act:
    name: str


Layer = AsImage | Conv | Pool | Norm | Drop | Flat | Dense | Act
Plan = tuple  # of Layer; the softmax output layer is added by build_keras and describe


def output_layer(classes: int = NUM_CLASSES) -> Dense:
    """The layer every plan ends in: one probability per class (10, or an own set's number)."""
    return Dense(classes, "softmax")


def dense_plan(hidden: tuple[int, ...], activation: str = "relu", dropout: float = 0.0) -> Plan:
    layers: list[Layer] = [Flat()]
    for units in hidden:
        layers.append(Dense(units, activation))
        if dropout:
            layers.append(Drop(dropout))
    return tuple(layers)


def _four_conv_plan(widths: tuple[int, int]) -> Plan:
    """Two blocks of conv-relu, conv-relu, max-pool, then batch norm, then a dense head.

    Batch norm sits after the pooling, on a quarter of the values: on a 2-core CPU batch norm
    after every full-size convolution took almost half of a training step (docs/recipes.md).
    """
    blocks = []
    for filters in widths:
        blocks += [Conv(filters, 3), Conv(filters, 3), Pool(), Norm(), Drop(0.25)]
    # The dense layer has no bias: batch norm supplies it.
    return (AsImage(), *blocks, Flat(), Dense(128, None, bias=False), Norm(), Act("relu"), Drop(0.4))


def _two_conv_plan(widths: tuple[int, int], dense: int, dropout: float = 0.0) -> Plan:
    """Two 5x5 convolutions, each followed by max-pooling and batch norm, then a dense layer
    with batch norm: the cheap shape of the fast recipes, where little happens at full size."""
    layers: list[Layer] = [AsImage()]
    for filters in widths:
        layers += [Conv(filters, 5), Pool(), Norm()]
    layers += [Flat(), Dense(dense, None, bias=False), Norm(), Act("relu")]  # batch norm is its bias
    return (*layers, Drop(dropout)) if dropout else tuple(layers)


PLANS: dict[str, Plan] = {
    # 16/24 filters rather than the recipe's 24/32: the same accuracy over five seeds in a third
    # less time on a 2-core machine (bench/RESULTS.md: the suggested model's first run)
    "cnn-fast": _two_conv_plan((16, 24), 128),
    "dense-128": dense_plan((128,)),
    "dense-128x2": dense_plan((128, 128)),
    "sigmoid-10": dense_plan((10,), "sigmoid"),
    # the tutorial's first CNN: its convolution has no activation
    "cnn-1": (AsImage(), Conv(28, 3, None), Pool(), Flat(), Dense(128), Drop(0.2)),
    "cnn-2": (AsImage(), Conv(32, 5), Pool(), Conv(32, 3), Pool(), Drop(0.2), Flat(), Dense(128)),
    "cnn-best": _two_conv_plan((32, 64), 256, dropout=0.3),
    "cnn-wide": _four_conv_plan((64, 128)),
    "dense-best": dense_plan((256, 256), dropout=0.2),
}


# --- custom models -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DenseSpec:
    """A custom multilayer perceptron."""

    hidden: tuple[int, ...] = (128,)  # units of each hidden layer
    activation: str = "relu"  # of the hidden layers
    dropout: float = 0.0  # after each hidden layer; 0 for none
    kind: str = field(default="dense", init=False)

    def plan(self) -> Plan:
        return dense_plan(self.hidden, self.activation, self.dropout)


@dataclass(frozen=True)
class ConvSpec:
    """A custom CNN: conv blocks (conv -> relu -> max-pool 2), then a dense head."""

    blocks: tuple[tuple[int, int], ...] = ((32, 3), (64, 3))  # (filters, kernel size) per block
    dense: tuple[int, ...] = (128,)  # units of the dense head
    dropout: float = 0.25  # before the output layer; 0 for none
    batch_norm: bool = False  # after each convolution
    kind: str = field(default="cnn", init=False)

    def plan(self) -> Plan:
        layers: list[Layer] = [AsImage()]
        for filters, kernel in self.blocks:
            if self.batch_norm:
                layers += [Conv(filters, kernel, None, "same", bias=False), Norm(), Act("relu")]
            else:
                layers.append(Conv(filters, kernel, "relu", "same"))
            layers.append(Pool())
        layers += [Flat(), *(Dense(units) for units in self.dense)]
        if self.dropout:
            layers.append(Drop(self.dropout))
        return tuple(layers)


ModelSpec = DenseSpec | ConvSpec


def parse_sizes(text: str, most: int) -> tuple[int, ...]:
    """'128, 64' -> (128, 64), at most `most` of them; raises ValueError with one sentence. The text's
    length is checked before anything is parsed: a form's text box can be sent megabytes."""
    if len(text) > MAX_SIZES_TEXT:
        raise ValueError(f"a list of layer sizes has at most {MAX_SIZES_TEXT} characters, like 128, 64")
    parts = [part for part in text.replace(" ", "").split(",") if part]
    if len(parts) > most:
        raise ValueError(f"give at most {most} sizes, separated by commas")
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(f"{text!r} is not a list of whole numbers like 128, 64") from None
    if not values:
        raise ValueError("give at least one layer size")
    return values


def validate_spec(spec: ModelSpec) -> list[str]:
    """Problems with a custom spec, as sentences for people; empty when it can be built."""
    errors = []
    if not 0 <= spec.dropout < 1:
        errors.append(f"dropout must be in [0, 1), got {spec.dropout}")
    if isinstance(spec, DenseSpec):
        if not 1 <= len(spec.hidden) <= MAX_DENSE_LAYERS:
            errors.append(f"a dense model needs 1 to {MAX_DENSE_LAYERS} hidden layers")
        if any(not 1 <= u <= MAX_UNITS for u in spec.hidden):
            errors.append(f"hidden layer sizes must be between 1 and {MAX_UNITS}")
        if spec.activation not in ACTIVATIONS:
            errors.append(f"activation must be one of {', '.join(ACTIVATIONS)}")
        return errors
    if not 1 <= len(spec.blocks) <= MAX_CONV_BLOCKS:  # each problem once, however many blocks
        errors.append(f"a CNN needs 1 to {MAX_CONV_BLOCKS} conv blocks")
    elif INPUT_SHAPE[0] >> len(spec.blocks) < 1:
        errors.append("too many conv blocks: the 28x28 image shrinks below 1x1")
    if any(not 1 <= filters <= MAX_FILTERS or kernel not in KERNEL_SIZES for filters, kernel in spec.blocks):
        errors.append(f"conv blocks need 1-{MAX_FILTERS} filters and a kernel size of "
                      f"{', '.join(map(str, KERNEL_SIZES))}")
    if any(not 1 <= u <= MAX_UNITS for u in spec.dense):
        errors.append(f"dense head sizes must be between 1 and {MAX_UNITS}")
    return errors


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


# --- presets ---------------------------------------------------------------------------------------


# --- describing a plan without TensorFlow ------------------------------------------------------------

KERAS_TYPES = {AsImage: "Reshape", Conv: "Conv2D", Pool: "MaxPooling2D", Norm: "BatchNormalization",
               Drop: "Dropout", Flat: "Flatten", Dense: "Dense", Act: "Activation"}
LAYER_NAMES = {AsImage: "as_image", Conv: "conv", Pool: "max_pool", Norm: "batch_norm", Drop: "dropout",
               Flat: "flatten", Dense: "dense", Act: "activation"}


def _layer_names(plan: Plan) -> list[str]:
    """The names build_keras gives the layers: as_image_1, conv_1, conv_2, ..., probabilities."""
    counts: dict[str, int] = {}
    names = []
    for layer in plan:
        name = LAYER_NAMES[type(layer)]
        counts[name] = counts.get(name, 0) + 1
        names.append(f"{name}_{counts[name]}")
    return [*names, "probabilities"]


def _step(layer: Layer, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, int]:
    """(output shape, parameters, multiply-adds per image) of one layer on an input `shape`."""
    if isinstance(layer, AsImage):
        return (*shape, 1), 0, 0
    if isinstance(layer, Conv):
        h, w, c = shape
        if layer.padding == "valid":
            h, w = h - layer.kernel + 1, w - layer.kernel + 1
        weights = layer.kernel * layer.kernel * c * layer.filters
        return (h, w, layer.filters), weights + layer.bias * layer.filters, h * w * weights
    if isinstance(layer, Pool):
        return (shape[0] // layer.size, shape[1] // layer.size, shape[2]), 0, 0
    if isinstance(layer, Norm):
        return shape, 4 * shape[-1], 0  # gamma, beta, moving mean and variance
    if isinstance(layer, Flat):
        size = 1
        for s in shape:
            size *= s
        return (size,), 0, 0
    if isinstance(layer, Dense):
        weights = shape[-1] * layer.units
        return (layer.units,), weights + layer.bias * layer.units, weights
    return shape, 0, 0  # Drop, Act


def describe(plan: Plan, classes: int = NUM_CLASSES) -> list[dict]:
    """The rows of the model's summary: layer, type, output shape, parameters, multiply-adds."""
    rows, shape = [], INPUT_SHAPE
    for name, layer in zip(_layer_names(plan), (*plan, output_layer(classes))):
        shape, params, macs = _step(layer, shape)
        rows.append({"layer": name, "type": KERAS_TYPES[type(layer)],
                     "output shape": words.shape(shape), "params": params, "macs": macs})
    return rows


# --- building with Keras ---------------------------------------------------------------------------

def build_keras(plan: Plan, classes: int = NUM_CLASSES):
    """A fresh, uncompiled Keras model of `plan` with `classes` outputs; seed it with
    nn.kinds.keras.training.seeded_build."""
    import keras
    from keras import layers

    def make(layer: Layer, name: str):
        if isinstance(layer, AsImage):
            return layers.Reshape((*INPUT_SHAPE, 1), name=name)
        if isinstance(layer, Conv):
            return layers.Conv2D(layer.filters, layer.kernel, activation=layer.activation,
                                 padding=layer.padding, use_bias=layer.bias, name=name)
        if isinstance(layer, Pool):
            return layers.MaxPooling2D(layer.size, name=name)
        if isinstance(layer, Norm):
            return layers.BatchNormalization(momentum=layer.momentum, name=name)
        if isinstance(layer, Drop):
            return layers.Dropout(layer.rate, name=name)
        if isinstance(layer, Flat):
            return layers.Flatten(name=name)
        if isinstance(layer, Dense):
            return layers.Dense(layer.units, activation=layer.activation, use_bias=layer.bias, name=name)
        return layers.Activation(layer.name, name=name)

    inputs = keras.Input(shape=INPUT_SHAPE, name="pixels")
    x = inputs
    for name, layer in zip(_layer_names(plan), (*plan, output_layer(classes))):
        x = make(layer, name)(x)
    return keras.Model(inputs, x)
