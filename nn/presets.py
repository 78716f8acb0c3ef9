"""The preset table: the tutorials' models with their training settings, and what a run trains
(`ModelSource`: a preset's name, a custom Keras spec, or a saved model to fine-tune).

Which kind of model a preset is (Keras, the NumPy network, the random forest) is its `kind`;
nn.kinds.registry knows what each kind can do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nn.errors import DigitLabError
from nn.kinds.keras.plans import (
    PLANS,
    ConvSpec,
    DenseSpec,
    ModelSpec,
    Plan,
    spec_from_dict,
    spec_to_dict,
    validate_spec,
)
from nn.words import term


class UnknownModelError(DigitLabError, ValueError):
    pass


@dataclass(frozen=True)
class Preset:
    name: str
    description: str  # one line, for people
    source: str  # the tutorial it comes from
    # The training settings' defaults; a kind without them (the forest) leaves them as they are.
    optimizer: str = "adam"  # "adam", "sgd" or "rmsprop"
    learning_rate: float = 1e-3
    batch_size: int = 32
    epochs: int = 1
    augment: bool = False  # train with data augmentation by default
    lr_schedule: str = "constant"  # or "cosine" (warm-up then cosine decay)
    warmup: float = 0.1  # cosine: the share of all steps that warms the learning rate up
    beta_1: float = 0.9  # Adam's
    beta_2: float = 0.999
    subset: int | None = None  # train on only the first N images by default
    validation_split: float = 0.1
    kind: str = "keras"  # "keras", "numpy" or "forest": see nn.kinds.registry
    why: str = ""  # a sentence for learners on what makes this recipe work


# A preset's description, source and why are words the app translates: term() marks them.
PRESETS = {
    p.name: p
    for p in (
        # A published fast recipe (a 24/32-filter CNN, here 16/24; Adam at 0.01 with betas 0.7/0.9,
        # a one-cycle schedule, one epoch), with batch norm after each block and the dense layer:
        # 99% of MNIST's test set after one epoch, in seconds (bench/RESULTS.md).
        Preset("cnn-fast", term("Ours: a small CNN that reads 99% of MNIST after one pass over it"),
               term("Digit Lab, after published fast-training recipes"), "adam", 0.01, 256, 1,
               lr_schedule="cosine", warmup=0.2, beta_1=0.7, beta_2=0.9,
               why=term("A good first model: it is fast because it is small (two convolutions of 16 and "
                        "24 filters), takes big steps (256 images a step at a high learning rate, kept "
                        "stable by batch normalisation and a warm-up) and sees each image only once.")),
        Preset("dense-128", term("Flatten -> Dense 128 relu -> Dense 10 softmax: the classic first network"),
               term("TensorFlow basic classification tutorial"), "adam", 1e-3, 32, 5),
        Preset("dense-128x2", term("Two hidden layers of 128 relu units"),
               term("TensorFlow basic classification tutorial (MNIST part)"), "adam", 1e-3, 32, 5),
        Preset("sigmoid-10", term("784 inputs -> Dense 10 sigmoid -> Dense 10 softmax, plain SGD"),
               term("\"MNIST in 10 lines\" tutorial"), "sgd", 0.5, 32, 10),
        Preset("cnn-1", term("One conv layer of 28 3x3 filters, max-pool, Dense 128, dropout 0.2"),
               term("Neural networks lecture, first Keras CNN"), "adam", 1e-3, 64, 5),
        Preset("cnn-2", term("Two conv layers (32 5x5, 32 3x3) with max-pooling, dropout, Dense 128"),
               term("Neural networks lecture, second Keras CNN"), "adam", 1e-3, 64, 5),
        # cnn-fast's shape, wider (32/64 filters, a dense layer of 256 and dropout), trained for
        # ten augmented epochs: over 99.6% in a fraction of the former four-conv cnn-best's time
        # (docs/recipes.md: what we tried).
        Preset("cnn-best", term("Ours: two 5x5 conv layers (32, 64 filters) with batch norm, dense 256, "
                                "augmentation, warm-up + cosine LR"), "Digit Lab", "adam", 5e-3, 256, 10,
               augment=True, lr_schedule="cosine", warmup=0.2,
               why=term("Our most accurate digit reader: cnn-fast made wider, and trained for ten passes "
                        "over images it sees moved, turned, resized, thickened and blurred, so it learns "
                        "the digit rather than the pixels.")),
        Preset("cnn-wide", term("Ours, for harder data such as Fashion-MNIST: four 3x3 conv layers of 64 "
                                "and 128 filters with batch norm, augmentation, 30 epochs"), "Digit Lab",
               "adam", 2e-3, 128, 30, augment=True, lr_schedule="cosine"),
        Preset("dense-best", term("Ours: two hidden layers of 256 relu units with dropout 0.2, "
                                  "augmentation, warm-up + cosine LR"), "Digit Lab", "adam", 2e-3, 128, 20,
               augment=True, lr_schedule="cosine"),
        Preset("numpy-mlp", term("784 -> 40 ReLU -> 10, written in NumPy: forward pass, backpropagation "
                                 "and gradient descent by hand, on 1,000 images"),
               term("\"Neural network from scratch\" NumPy tutorial"),
               "sgd", 0.005, 32, 350, subset=1000, validation_split=0.0, kind="numpy"),
        Preset("random-forest", term("Not a neural network: 100 decision trees that vote, each grown on a "
                                     "random sample of the images (scikit-learn)"),
               term("\"Neural network in practice\": try RandomForestClassifier instead"), kind="forest"),
    )
}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownModelError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}") from None


# What a training starts from: a preset's name, a custom spec, or a saved model's file (fine-tuning).
ModelSource = str | ModelSpec | Path


def plan_of(source: str | ModelSpec) -> Plan:
    """The layer plan of a Keras preset or a custom spec."""
    if isinstance(source, (DenseSpec, ConvSpec)):
        errors = validate_spec(source)
        if errors:
            raise ValueError("; ".join(errors))
        return source.plan()
    preset(source)
    if source not in PLANS:
        raise UnknownModelError(f"{source!r} is not a Keras preset")
    return PLANS[source]


def display_name(source: ModelSource) -> str:
    """'cnn-best', 'custom dense', or 'fine-tuned mnist-cnn-best'."""
    if isinstance(source, Path):
        return f"fine-tuned {source.stem}"
    if isinstance(source, (DenseSpec, ConvSpec)):
        return f"custom {source.kind}"
    return source


def source_to_dict(source: ModelSource) -> dict:
    """A JSON-able record of a model source; source_from_dict reads it back."""
    if isinstance(source, Path):
        return {"fine_tune": str(source)}
    if isinstance(source, (DenseSpec, ConvSpec)):
        return {"spec": spec_to_dict(source)}
    return {"preset": source}


def source_from_dict(data: dict) -> ModelSource:
    if "fine_tune" in data:
        return Path(data["fine_tune"])
    if "spec" in data:
        return spec_from_dict(data["spec"])
    return preset(data["preset"]).name
