"""Keras training: `train(model, data, config, callbacks)` and the live-metrics callback.

Determinism: the same seed and config give the same weights on the same machine and versions.
The seed fixes weight initialisation (`seeded_build`), dropout, the shuffle order and the
augmentation. Not promised: identical results across machines, CPU types or library versions, or
when the number of CPU threads differs (float sums in another order round differently).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from nn.data import Dataset, training_split
from nn.kinds.keras.augment import Augmenter
from nn.kinds.keras.calibration import expected_calibration_error, fit_temperature, tempered
from nn.limits import MIN_CALIBRATION_IMAGES
from nn.progress import LiveMetrics, TrainingDiverged, TrainResult
from nn.training_config import TrainConfig

# Keras' global random seed is process-wide; build one model at a time so that two builds in
# different threads cannot interleave their draws.
_BUILD_LOCK = threading.Lock()


class MetricsRecorder(LiveMetrics, keras.callbacks.Callback):
    """LiveMetrics as a Keras callback: Keras calls the hooks, `halt` stops `fit`."""

    def __init__(self, *args, **kwargs):
        keras.callbacks.Callback.__init__(self)
        LiveMetrics.__init__(self, *args, **kwargs)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.halt:
            self.model.stop_training = True


# --- train -------------------------------------------------------------------------------------

def seeded_build(build: Callable[[], keras.Model], seed: int) -> keras.Model:
    """Build a model with reproducible initial weights and dropout seeds."""
    with _BUILD_LOCK:
        keras.utils.set_random_seed(seed)
        return build()


def make_optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The optimizer, with its schedule spread over however many epochs were chosen."""
    lr = float(config.learning_rate)
    if config.lr_schedule == "cosine":
        total = max(config.epochs * steps_per_epoch, 2)
        warmup = max(1, min(total - 1, round(config.warmup * total)))  # linear, from a tenth of lr
        lr = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=lr / 10, decay_steps=total - warmup, alpha=0.01,
            warmup_target=lr, warmup_steps=warmup,
        )
    options = {"learning_rate": lr}
    if config.optimizer == "adam":
        options.update(beta_1=config.beta_1, beta_2=config.beta_2)
    return keras.optimizers.get({"class_name": config.optimizer, "config": options})


def compile_model(model: keras.Model, config: TrainConfig, steps_per_epoch: int) -> None:
    model.compile(
        optimizer=make_optimizer(config, steps_per_epoch),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=["accuracy"],
    )


def _to_inputs(images, labels, classes: int):
    return tf.cast(images, tf.float32) / 255.0, tf.one_hot(tf.cast(labels, tf.int32), classes)


# tf.data's autotuning thread made deleting a finished iterator wait for it, up to seconds at the
# end of `fit` (bench/RESULTS.md: the suggested model's first run), for nothing a small in-memory
# pipeline needs.
WITHOUT_AUTOTUNE = tf.data.Options()
WITHOUT_AUTOTUNE.autotune.enabled = False


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None = None,
                 augmenter: Augmenter | None = None, classes: int = 10) -> tf.data.Dataset:
    """Batches of scaled images and one-hot labels of `classes` classes; shuffled each epoch when
    a seed is given."""
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if seed is not None:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(lambda images, labels: _to_inputs(images, labels, classes))
    if augmenter is not None:
        ds = ds.enumerate().map(lambda step, xy: (augmenter(xy[0], step), xy[1]))
    return ds.prefetch(tf.data.AUTOTUNE).with_options(WITHOUT_AUTOTUNE)


def settle_batch_norm(model: keras.Model, x: np.ndarray, batches: int = 4, size: int = 512) -> None:
    """Set batch norm's running statistics to their averages over a few training batches.

    They are an exponential average over training, which lags behind weights that are still
    moving fast: cnn-fast trained on 5,000 images for one epoch read 11% of the test set with
    them and 95% once settled. The batches pass in training mode, as they did in training.
    """
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        return
    momenta = [layer.momentum for layer in norms]
    for k, images in enumerate(np.array_split(x[:batches * size], batches), start=1):
        for layer in norms:
            layer.momentum = (k - 1) / k  # running statistics become the mean over k batches
        model(images.astype("float32") / 255.0, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


def predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    return model.predict(images.astype("float32") / 255.0, batch_size=1024, verbose=0)


class HeldOut(keras.callbacks.Callback):
    """Scores the held-out images after every epoch (val_loss, val_accuracy in the epoch's logs).

    After the last one it first settles batch norm (`settle_on`: the training images and the
    epochs), so that the last scores are those of the model kept and one pass over the images
    serves both them and the calibration: Keras' own validation, before settling, and a second
    pass after it cost cnn-fast 0.6 s of its 10.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, settle_on: tuple[np.ndarray, int]):
        super().__init__()
        self.x, self.y = x, y
        self.x_train, self.epochs = settle_on
        self.settled, self.probabilities = False, None

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epochs and not self.model.stop_training:
            settle_batch_norm(self.model, self.x_train)
            self.settled = True
        self.probabilities = predict(self.model, self.x)
        if logs is not None:
            one_hot = keras.utils.to_categorical(self.y, self.probabilities.shape[-1])
            logs["val_loss"] = float(self.model.loss(one_hot, self.probabilities))
            logs["val_accuracy"] = float(np.mean(self.probabilities.argmax(axis=-1) == self.y))


class EpochEnd(keras.callbacks.Callback):
    """Calls `fn(epochs_completed, model)` after every complete epoch (for checkpoints)."""

    def __init__(self, fn: Callable[[int, keras.Model], None], recorder: LiveMetrics):
        super().__init__()
        self.fn, self.recorder = fn, recorder

    def on_epoch_end(self, epoch, logs=None):
        if self.recorder.progress.epoch == epoch + 1:  # not cut short by a stop
            self.fn(epoch + 1, self.model)


def train(model: keras.Model, data: Dataset, config: TrainConfig,
          callbacks: list[keras.callbacks.Callback] = (),
          recorder: MetricsRecorder | None = None, initial_epoch: int = 0,
          on_epoch_end: Callable[[int, keras.Model], None] | None = None) -> TrainResult:
    """Compile and fit `model` on `data`, then evaluate it on the test set.

    Pass a `recorder` to read progress or request a stop from another thread. With
    `initial_epoch`, `model` is a checkpoint loaded with its optimizer (nn.kinds.keras.kind): training
    goes on from there with the same schedule. Raises ConfigError for an unusable config and
    TrainingDiverged when the loss stops being a number.
    """
    config.check(train_size=len(data.x_train))
    x, y, x_val, y_val = training_split(data, config)
    steps = math.ceil(len(x) / config.batch_size)
    if recorder is None:
        recorder = MetricsRecorder(config.epochs, steps, len(x), config.batch_size)
    augmenter = Augmenter(config.seed, data.name) if config.augment else None
    classes = model.output_shape[-1]  # 10, or an own set's classes (nn.own_data)
    train_ds = make_dataset(x, y, config.batch_size, seed=config.seed, augmenter=augmenter, classes=classes)
    held_out = HeldOut(x_val, y_val, settle_on=(x, config.epochs)) if len(x_val) else None

    if not (initial_epoch and getattr(model, "optimizer", None) is not None):
        if config.kind_settings.get("keep_features"):  # transfer: only the new last layer learns
            for layer in model.layers[:-1]:
                layer.trainable = False
        compile_model(model, config, steps)
    if on_epoch_end is not None:
        callbacks = [*callbacks, EpochEnd(on_epoch_end, recorder)]
    start = time.monotonic()
    # held_out first: the recorder and the checkpoints after it see its scores and settled model
    model.fit(train_ds, epochs=config.epochs, initial_epoch=initial_epoch, shuffle=False, verbose=0,
              callbacks=[*([held_out] if held_out else []), recorder, *callbacks])  # shuffled by tf.data
    if recorder.diverged:
        raise TrainingDiverged(recorder.diverged)
    probabilities = held_out.probabilities if held_out and held_out.settled else None
    if probabilities is None:  # stopped early, or nothing held out
        settle_batch_norm(model, x)
    temperature = calibrate(model, x_val, y_val, probabilities)
    seconds = time.monotonic() - start

    test_loss, test_accuracy = model.evaluate(
        make_dataset(data.x_test, data.y_test, 1024, classes=classes), verbose=0)
    history = recorder.snapshot().history
    return TrainResult(
        history=history, test_loss=float(test_loss), test_accuracy=float(test_accuracy),
        seconds=seconds, stopped=recorder.end_early.is_set(), epochs_completed=len(history),
        calibration=temperature and calibration_report(model, data, temperature),
    )


def calibrate(model: keras.Model, x_val: np.ndarray, y_val: np.ndarray,
              probabilities: np.ndarray | None = None) -> float | None:
    """Fit a temperature on the held-out images and fold it into the softmax layer
    (nn.kinds.keras.calibration); `probabilities`, the model's on them, when already known.

    Returns it, or None when there are too few held-out images or the model does not end in a
    Dense softmax layer (an uploaded model may not).
    """
    head = model.layers[-1]
    if len(x_val) < MIN_CALIBRATION_IMAGES or not isinstance(head, keras.layers.Dense) \
            or head.get_config().get("activation") != "softmax":
        return None
    if probabilities is None:
        probabilities = predict(model, x_val)
    temperature = fit_temperature(probabilities, y_val)
    head.set_weights([w / temperature for w in head.get_weights()])
    return temperature


def calibration_report(model: keras.Model, data: Dataset, temperature: float) -> dict:
    """The test set's expected calibration error with and without the fitted temperature."""
    after = predict(model, data.x_test)
    before = tempered(after, 1.0 / temperature)  # undoes the temperature
    return {"temperature": round(temperature, 4),
            "test_ece_before": round(expected_calibration_error(before, data.y_test), 5),
            "test_ece_after": round(expected_calibration_error(after, data.y_test), 5)}
