"""The Keras kind: presets and custom specs built from layer plans (nn.kinds.keras.plans), trained by
nn.kinds.keras.training, predicted by nn.inference, stored as standard `.keras` files.

Loading checks the archive before Keras opens it, uses Keras' safe mode (no code from the file
runs), and checks the model reads 28x28 images and returns 10 classes.
"""

from __future__ import annotations

import io
import json
import math
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np

from nn import words
from nn.errors import ModelLoadError
from nn.kinds.keras.plans import PLANS, describe, spec_from_dict
from nn.kinds.kind import SHARED, Kind, LayerOutput, Predicting, Setting
from nn.limits import KERAS_FILE_BYTES, KERAS_UNPACKED_BYTES
from nn.presets import ModelSource, plan_of
from nn.progress import CHANCE_LOSS
from nn.storage.files import ArchiveError, zip_entries
from nn.storage.own_datasets import MAX_CLASSES, MIN_CLASSES
from nn.training_config import TEST_IMAGES, TrainConfig

# Training cost on the 2-core reference machine, fitted to every preset at batch 32, 64-128 and
# 256 (within 25%, but for cnn-1 at small batches; bench.run "Time estimates" checks it): a fixed
# cost per step, and per image a base cost plus a cost that grows with its multiply-adds (less
# than in proportion: large convolutions use the CPU better).
STEP_SECONDS = 0.0008
IMAGE_SECONDS = 2.0e-6
MILLION_MACS_SECONDS, MACS_POWER = 42.2e-6, 0.84  # 42 us per image at 1M multiply-adds
AUGMENT_SECONDS = 7.5e-6  # per image, the augmentation of nn.kinds.keras.augment
START_SECONDS = 2.0  # building the model and tracing its first step


# What a file's weights may declare per parameter of its layers: float32 weights and an Adam
# optimizer's two moments are 12 bytes; more is arrays its layers never read. Plus 1 MB of slack.
DECLARED_BYTES_PER_PARAM = 16
DECLARED_SLACK_BYTES = 2**20


def check_archive(path: Path) -> int:
    """Refuse what is not a plausible .keras archive before Keras reads any of it; the bytes its
    weights declare."""
    try:
        names = zip_entries(path, KERAS_FILE_BYTES, KERAS_UNPACKED_BYTES,
                            "a Keras model file (.keras files are zip archives)")
    except ArchiveError as e:
        raise ModelLoadError(str(e)) from None
    if not {"config.json", "model.weights.h5"} <= set(names):
        raise ModelLoadError(
            f"{path.name} is a zip archive but not a Keras model "
            "(it lacks config.json or model.weights.h5)")
    declared = declared_weight_bytes(path)
    if declared > KERAS_UNPACKED_BYTES:
        raise ModelLoadError(f"{path.name} declares {declared / 2**20:,.0f} MB of weights; the limit is "
                             f"{KERAS_UNPACKED_BYTES // 2**20} MB")
    return declared


def check_declared_against_layers(path: Path, declared: int, params: int) -> None:
    """Its weights file may declare no more than its layers (and their optimizer) hold."""
    if declared > params * DECLARED_BYTES_PER_PARAM + DECLARED_SLACK_BYTES:
        raise ModelLoadError(f"{path.name} declares {declared / 2**20:,.1f} MB of weights, but its layers "
                             f"have {params:,} parameters ({params * 4 / 2**20:,.1f} MB)")


def declared_weight_bytes(path: Path) -> int:
    """The size its weights file says its arrays have, read from the HDF5 metadata alone: a few
    KB of file can declare gigabytes that Keras would allocate before reading a byte of them."""
    import h5py

    with zipfile.ZipFile(path) as archive:
        weights = archive.read("model.weights.h5")  # within the archive's checked size
    sizes = []
    try:
        with h5py.File(io.BytesIO(weights), "r") as f:
            f.visititems(lambda _, item: sizes.append(item.size * item.dtype.itemsize)
                         if isinstance(item, h5py.Dataset) else None)
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"{path.name}: its weights file is unreadable ({e})") from None
    return int(sum(sizes))


def check_io_shapes(model) -> None:
    """The model must read (n, 28, 28) or (n, 28, 28, 1) images and return 10 classes (or 2 to 20:
    a model of one's own set, nn.own_data)."""
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1 or tuple(inputs[0].shape[1:]) not in ((28, 28), (28, 28, 1)):
        shapes = [tuple(i.shape) for i in inputs]
        raise ModelLoadError(f"the model's input is {shapes}, expected 28x28 images")
    outputs = getattr(model, "outputs", None) or []
    shape = tuple(outputs[0].shape[1:]) if len(outputs) == 1 else ()
    if len(shape) != 1 or not MIN_CLASSES <= (shape[0] or 0) <= MAX_CLASSES:
        shapes = [tuple(o.shape) for o in outputs]
        raise ModelLoadError(f"the model's output is {shapes}, expected 10 classes (or {MIN_CLASSES} to "
                             f"{MAX_CLASSES}, one's own)")


def _load(path: Path, with_optimizer: bool):
    declared = check_archive(path)
    import keras

    try:
        model = keras.models.load_model(path, compile=with_optimizer, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - Keras raises many types for bad files
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if "safe_mode" in str(e) or "Lambda" in str(e):
            reason = "it contains code (a Lambda layer or a custom function), which is refused"
        raise ModelLoadError(f"{path.name} could not be loaded as a Keras model: {reason[:300]}") from None
    check_io_shapes(model)
    check_declared_against_layers(path, declared, model.count_params())
    return model


class FilePredictor(Predicting):
    """A .keras file's predictions: a few images at a time in NumPy where its layers allow
    (nn.kinds.keras.numpy_forward: milliseconds, and no waiting for TensorFlow to import), batches
    and saliency
    with TensorFlow, loaded the first time they are needed."""

    NUMPY_AT_MOST = 32  # images; beyond that TensorFlow's kernels are faster

    def __init__(self, path: Path):
        from nn.kinds.keras import numpy_forward as keras_numpy

        self.path = Path(path)
        check_archive(self.path)
        try:
            self.forward = keras_numpy.read(self.path)
            if self.forward is not None:
                self.forward.probabilities(np.zeros((1, 28, 28), np.float32))  # it runs, with these shapes
        except (OSError, KeyError, ValueError, TypeError, IndexError):
            self.forward = None
        self._keras = None
        self._extractors: dict = {}
        self._lock = threading.Lock()
        if self.forward is None:
            self.keras()  # load now, so that a bad file says so at once

    def keras(self):
        """The TensorFlow predictor (nn.kinds.keras.predictor.Predictor), loaded once."""
        with self._lock:
            if self._keras is None:
                from nn.kinds.keras.predictor import Predictor

                self._keras = Predictor(_load(self.path, with_optimizer=False))
            return self._keras

    @property
    def model(self):
        return self.keras().model

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        x = np.asarray(images, dtype=np.float32)
        if self.forward is not None and x.size <= self.NUMPY_AT_MOST * 28 * 28:
            return self.forward.probabilities(x)
        return self.keras().probabilities(x)

    def saliency(self, image28: np.ndarray, class_index: int | None = None) -> np.ndarray:
        return self.keras().saliency(image28, class_index)

    # --- inside the network (nn.inside) -----------------------------------------------------
    def layer_outputs(self, image28: np.ndarray) -> list[LayerOutput]:
        x = np.asarray(image28, dtype=np.float32).reshape(1, 28, 28)
        if self.forward is not None:
            pairs = [(layer.name, layer.kind, out[0])
                     for layer, out in zip(self.forward.layers, self.forward.outputs(x))]
        else:
            model = self.model
            layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
            outs = self._extractor("all", lambda k: k.Model(model.inputs, [la.output for la in layers]))(
                [self.keras()._shaped(x)], training=False)
            pairs = [(la.name, type(la).__name__, np.asarray(o)[0]) for la, o in zip(layers, outs)]
        return [LayerOutput(name, kind, values) for name, kind, values in pairs if kind != "InputLayer"]

    def features(self, images: np.ndarray) -> np.ndarray:
        """The input of the last layer (the answer is read from it)."""
        x = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28)
        if self.forward is not None and len(x) <= self.NUMPY_AT_MOST:
            return self.forward.outputs(x)[-2].reshape(len(x), -1)
        model = self.model
        extract = self._extractor("features", lambda k: k.Model(model.inputs, model.layers[-1].input))
        shaped = self.keras()._shaped(x)
        out = [np.asarray(extract([shaped[i:i + 1024]], training=False)) for i in range(0, len(x), 1024)]
        return np.concatenate(out).reshape(len(x), -1)

    def first_weights(self) -> tuple[str, np.ndarray]:
        if self.forward is not None:
            layers = [(layer.kind, layer.weights) for layer in self.forward.layers]
        else:
            layers = [(type(la).__name__, tuple(w.numpy() for w in la.weights)) for la in self.model.layers]
        for kind, weights in layers:
            if kind == "Conv2D" and weights[0].shape[2] == 1:  # (h, w, 1 channel in, filters)
                return "filters", np.moveaxis(weights[0][:, :, 0, :], -1, 0)
            if kind == "Dense" and weights[0].shape[0] == 28 * 28:
                return "units", weights[0].T.reshape(-1, 28, 28)
            if kind in ("Conv2D", "Dense"):
                break
        return "", np.zeros((0, 28, 28), np.float32)

    def _extractor(self, name: str, make):
        """A Keras model over this one's layers, built once."""
        with self._lock:
            if name not in self._extractors:
                import keras

                self._extractors[name] = make(keras)
            return self._extractors[name]


# Transfer: a model of an MNIST network trained on one's own classes keeps what its layers learned
# and gets a new last layer; with this, only that layer trains (else all of them, gently).
KEEP_FEATURES = Setting("keep_features", words.term("Keep the learned layers"), bool, default=False,
                        help=words.term("when starting from a trained model: train only its new last layer"))


def with_new_head(model, classes: int, seed: int):
    """`model`'s layers up to its last, and a new last layer of `classes` probabilities."""
    import keras

    from nn.kinds.keras.training import seeded_build

    def made():
        head = keras.layers.Dense(classes, activation="softmax", name=f"new_head_{classes}")
        return keras.Model(model.inputs, head(model.layers[-2].output), name=f"{model.name}-transfer")

    return seeded_build(made, seed)


class KerasKind(Kind):
    name = "keras"
    suffix = ".keras"
    file_title = words.term("a Keras 3 .keras file (28x28 input, 10 outputs)")
    title = words.term("a Keras network")
    fine_tunable = True
    any_classes = True
    chance_loss = CHANCE_LOSS

    settings = (*SHARED, KEEP_FEATURES)

    def build(self, source: ModelSource, seed: int, classes: int = 10):
        if isinstance(source, Path):  # fine-tuning starts from the saved weights; transfer too
            model = self.load(source)
            return model if model.output_shape[-1] == classes else with_new_head(model, classes, seed)
        from nn.kinds.keras.plans import build_keras
        from nn.kinds.keras.training import seeded_build
        from nn.presets import display_name

        model = seeded_build(lambda: build_keras(plan_of(source), classes), seed)
        model.name = display_name(source).replace(" ", "-")
        return model

    def describe(self, source: ModelSource, classes: int = 10) -> list[dict]:
        if isinstance(source, Path):  # training from a stored model: its layers, a new last one
            return self.stored_layers(source, classes)
        return describe(plan_of(source), classes)

    def stored_layers(self, path: Path, classes: int) -> list[dict]:
        """A stored model's layer table as a run starting from it builds it: from the plan its
        metadata names, else (an uploaded file) from its own layers; the last answers `classes`."""
        try:
            metadata = json.loads(path.with_suffix(".json").read_text())
        except (OSError, ValueError):
            metadata = {}
        if metadata.get("spec"):
            return describe(plan_of(spec_from_dict(metadata["spec"])), classes)
        if metadata.get("preset") in PLANS:
            return describe(plan_of(metadata["preset"]), classes)
        model = self.load(path)
        rows = [{"layer": layer.name, "type": type(layer).__name__, "params": int(layer.count_params()),
                 "output shape": words.shape(layer.output.shape[1:]), "macs": 0}
                for layer in model.layers[:-1] if type(layer).__name__ != "InputLayer"]
        features = int(model.layers[-2].output.shape[-1])
        return [*rows, {"layer": "probabilities", "type": "Dense", "output shape": words.shape([classes]),
                        "params": (features + 1) * classes, "macs": features * classes}]

    def estimate_seconds(self, source: ModelSource, config: TrainConfig, train_size: int) -> float:
        macs = sum(row["macs"] for row in self.describe(source)) if not isinstance(source, Path) else 1e7
        per_image = IMAGE_SECONDS + MILLION_MACS_SECONDS * (macs / 1e6) ** MACS_POWER
        images = config.training_images(train_size)
        epoch = (math.ceil(images / config.batch_size) * STEP_SECONDS
                 + images * (per_image + config.augment * AUGMENT_SECONDS))
        test_set = TEST_IMAGES * per_image / 3  # a forward pass is about a third of a training step
        return START_SECONDS + config.epochs * epoch + test_set

    def new_recorder(self, config: TrainConfig, train_images: int, end_early):
        from nn.kinds.keras.training import MetricsRecorder

        steps = math.ceil(train_images / config.batch_size)
        return MetricsRecorder(config.epochs, steps, train_images, config.batch_size, end_early=end_early)

    def train(self, model, data, config, recorder, initial_epoch=0, on_epoch_end=None):
        from nn.kinds.keras.training import train

        return train(model, data, config, recorder=recorder, initial_epoch=initial_epoch,
                     on_epoch_end=on_epoch_end)

    def owns(self, model) -> bool:
        keras = sys.modules.get("keras")  # a Keras model exists only once Keras is imported
        return keras is not None and isinstance(model, keras.Model)

    def save(self, model, path: Path) -> None:
        """Without the optimizer's state: people load it to predict or to fine-tune afresh."""
        if getattr(model, "optimizer", None) is not None:
            trained = model
            model = type(trained).from_config(trained.get_config())  # uncompiled, same layers
            model.set_weights(trained.get_weights())
        model.save(path)

    def load(self, path: Path):
        return _load(Path(path), with_optimizer=False)

    def check_file(self, path: Path) -> None:
        check_archive(Path(path))  # loading it would build its layers: that is the trial's job

    def save_checkpoint(self, model, path: Path) -> None:
        model.save(path)  # with the optimizer: its moments, step count and schedule

    def load_checkpoint(self, path: Path):
        return _load(Path(path), with_optimizer=True)

    def predictor(self, model):
        from nn.kinds.keras.predictor import Predictor

        return Predictor(model)

    export_formats = ("onnx", "tflite")

    def export(self, path: Path, fmt: str, out: Path) -> None:
        """Keras 3's own export (tf2onnx for ONNX, LiteRT for .tflite), one image at a time."""
        import keras

        model = self.load(path)
        signature = [keras.InputSpec(shape=(1, 28, 28), dtype="float32")]
        model.export(str(out), format="onnx" if fmt == "onnx" else "litert", input_signature=signature,
                     verbose=False)

    def file_predictor(self, path: Path) -> FilePredictor:
        return FilePredictor(path)
