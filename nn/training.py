"""Training: a typed config, `train(model, data, config, callbacks)`, and the metrics callback.

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
from dataclasses import asdict, dataclass, field, fields

import keras
import numpy as np
import tensorflow as tf

from nn.augment import Augmenter
from nn.data import Dataset

OPTIMIZERS = ("adam", "sgd", "rmsprop")
LR_SCHEDULES = ("constant", "cosine")
MAX_EPOCHS = 500
MAX_LEARNING_RATE = 100.0
# Cross-entropy is clipped, so a diverged model often shows a huge but finite loss rather than
# NaN: a running mean far above chance level after some batches counts as divergence too.
CHANCE_LOSS = math.log(10)
DIVERGENCE_LOSS = 3 * CHANCE_LOSS
DIVERGENCE_BATCHES = 20

# Keras' global random seed is process-wide; build one model at a time so that jobs in other
# threads cannot interleave their draws.
_BUILD_LOCK = threading.Lock()


class ConfigError(ValueError):
    """A training config that cannot be used; the message lists every problem."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class TrainConfig:
    epochs: int = 5  # passes over the training set
    batch_size: int = 32  # images per gradient step
    optimizer: str = "adam"  # adam, sgd or rmsprop
    learning_rate: float = 1e-3  # peak learning rate
    validation_split: float = 0.1  # share of the training images held out for validation
    augment: bool = False  # random shift/rotation/zoom/stroke thickness while training
    seed: int = 0  # fixes initial weights, shuffling, dropout and augmentation
    subset: int | None = None  # train on only the first N training images
    lr_schedule: str = "constant"  # constant, or cosine: warm-up then cosine decay
    label_smoothing: float = 0.0  # 0 for plain cross-entropy

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown training settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    @classmethod
    def for_preset(cls, preset, **overrides) -> TrainConfig:
        """The preset's default hyperparameters, with overrides (None means keep the default)."""
        base = dict(
            epochs=preset.epochs, batch_size=preset.batch_size, optimizer=preset.optimizer,
            learning_rate=preset.learning_rate, augment=preset.augment,
            lr_schedule=preset.lr_schedule,
        )
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(base)

    def to_dict(self) -> dict:
        return asdict(self)

    def problems(self, train_size: int | None = None) -> list[str]:
        """Every problem with this config, as sentences for people; empty when it is usable."""
        p = []

        def is_int(value) -> bool:
            return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

        if not is_int(self.epochs) or not 1 <= self.epochs <= MAX_EPOCHS:
            p.append(f"epochs must be a whole number from 1 to {MAX_EPOCHS}, got {self.epochs!r}")
        if not is_int(self.batch_size) or not 1 <= self.batch_size <= 8192:
            p.append(f"batch size must be a whole number from 1 to 8192, got {self.batch_size!r}")
        if self.optimizer not in OPTIMIZERS:
            p.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        lr = self.learning_rate
        if not isinstance(lr, (int, float)) or not math.isfinite(lr) or not 0 < lr <= MAX_LEARNING_RATE:
            p.append(f"learning rate must be above 0 and at most {MAX_LEARNING_RATE:g}, got {lr!r}")
        if not isinstance(self.validation_split, (int, float)) or not 0 <= self.validation_split <= 0.5:
            p.append(f"validation split must be between 0 and 0.5, got {self.validation_split!r}")
        if not is_int(self.seed) or self.seed < 0:
            p.append(f"seed must be a whole number >= 0, got {self.seed!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            p.append(f"learning-rate schedule must be one of {', '.join(LR_SCHEDULES)}")
        if not isinstance(self.label_smoothing, (int, float)) or not 0 <= self.label_smoothing < 1:
            p.append(f"label smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.subset is not None:
            if not is_int(self.subset) or self.subset < 10:
                p.append(f"subset must be a whole number of at least 10 images, got {self.subset!r}")
            elif train_size is not None and self.subset > train_size:
                p.append(f"subset of {self.subset} is larger than the {train_size} training images")
        return p

    def check(self, train_size: int | None = None) -> None:
        problems = self.problems(train_size)
        if problems:
            raise ConfigError("; ".join(problems))


# --- live metrics ------------------------------------------------------------------------------

@dataclass
class Progress:
    """What a running training has done so far; the recorder fills it, readers copy it."""

    epochs: int = 0  # planned
    batches_per_epoch: int = 0
    epoch: int = 0  # epochs completed
    batch: int = 0  # batches completed in the current epoch
    batches: list[dict] = field(default_factory=list)  # step, epoch, loss, accuracy (per batch)
    history: list[dict] = field(default_factory=list)  # per epoch: loss, accuracy, val_*, seconds
    started: float = 0.0  # time.monotonic() at the first batch
    elapsed: float = 0.0  # seconds since then
    samples_per_second: float = 0.0

    def apply(self, changes: dict) -> None:
        """Bring this copy up to date with MetricsRecorder.changes_since()."""
        self.batches.extend(changes["new_batches"])
        self.history.extend(changes["new_history"])
        for key in ("epochs", "batches_per_epoch", "epoch", "batch", "elapsed", "samples_per_second"):
            setattr(self, key, changes[key])

    def copy(self) -> Progress:
        return Progress(epochs=self.epochs, batches_per_epoch=self.batches_per_epoch, epoch=self.epoch,
                        batch=self.batch, batches=list(self.batches), history=list(self.history),
                        started=self.started, elapsed=self.elapsed,
                        samples_per_second=self.samples_per_second)

    @property
    def eta(self) -> float | None:
        """Seconds left, from the mean time per batch so far."""
        done = self.epoch * self.batches_per_epoch + self.batch
        total = self.epochs * self.batches_per_epoch
        if done == 0 or total == 0:
            return None
        return self.elapsed / done * (total - done)


class MetricsRecorder(keras.callbacks.Callback):
    """Records per-batch and per-epoch metrics, stops at the next batch on request, catches NaN.

    Keras reports the running mean of the epoch after each batch; the batch's own value is
    recovered exactly from two consecutive means.
    """

    def __init__(self, epochs: int, batches_per_epoch: int, samples: int, batch_size: int,
                 stop_flag=None):
        super().__init__()
        self.progress = Progress(epochs=epochs, batches_per_epoch=batches_per_epoch)
        self.lock = threading.Lock()
        # Any object with set()/is_set(): a threading.Event, or a multiprocessing one when the
        # request comes from another process.
        self.stop_requested = stop_flag if stop_flag is not None else threading.Event()
        self.diverged: str | None = None
        self._samples, self._batch_size = samples, batch_size
        self._previous = {}
        self._epoch_start = 0.0

    def request_stop(self) -> None:
        self.stop_requested.set()

    def on_train_begin(self, logs=None):
        self.progress.started = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.monotonic()
        self._previous = {}
        with self.lock:
            self.progress.batch = 0

    def _batch_size_at(self, batch: int) -> int:
        last = self._samples - (self.progress.batches_per_epoch - 1) * self._batch_size
        return last if batch == self.progress.batches_per_epoch - 1 else self._batch_size

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        seen = batch * self._batch_size + self._batch_size_at(batch)
        values = {}
        for key in ("loss", "accuracy"):
            mean = float(logs.get(key, float("nan")))
            before = self._previous.get(key, 0.0) * batch * self._batch_size
            values[key] = (mean * seen - before) / self._batch_size_at(batch)
            self._previous[key] = mean
        now = time.monotonic()
        with self.lock:
            p = self.progress
            p.batch = batch + 1
            p.elapsed = now - p.started
            p.batches.append({
                "step": p.epoch * p.batches_per_epoch + batch + 1,
                "epoch": p.epoch + 1,
                "loss": values["loss"],
                "accuracy": values["accuracy"],
            })
            p.samples_per_second = seen / max(now - self._epoch_start, 1e-9)
        running_loss = float(logs.get("loss", 0.0))
        if not math.isfinite(running_loss) or (
            batch + 1 >= DIVERGENCE_BATCHES and running_loss > DIVERGENCE_LOSS
        ):
            self.diverged = (
                f"the loss became {running_loss:.4g} at epoch {self.progress.epoch + 1}, "
                f"batch {batch + 1} (guessing at random gives {CHANCE_LOSS:.2f}): training "
                f"diverged. Try a lower learning rate."
            )
            self.model.stop_training = True
        if self.stop_requested.is_set():
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        seconds = time.monotonic() - self._epoch_start
        row = {"epoch": epoch + 1, "seconds": seconds,
               "samples_per_second": self._samples / seconds if seconds else 0.0}
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if key in logs:
                row[key] = float(logs[key])
        completed = self.progress.batch == self.progress.batches_per_epoch
        with self.lock:
            if completed:
                self.progress.epoch = epoch + 1
                self.progress.history.append(row)
            self.progress.elapsed = time.monotonic() - self.progress.started

    def changes_since(self, batches: int, epochs: int) -> dict:
        """What changed since the reader had `batches` batch rows and `epochs` epoch rows."""
        with self.lock:
            p = self.progress
            return {"epochs": p.epochs, "batches_per_epoch": p.batches_per_epoch, "epoch": p.epoch,
                    "batch": p.batch, "elapsed": p.elapsed, "samples_per_second": p.samples_per_second,
                    "new_batches": p.batches[batches:], "new_history": p.history[epochs:]}

    def snapshot(self) -> Progress:
        """A copy that the reader may keep while training goes on."""
        with self.lock:
            return self.progress.copy()


# --- train -------------------------------------------------------------------------------------

@dataclass
class TrainResult:
    history: list[dict]  # per completed epoch
    test_loss: float
    test_accuracy: float
    seconds: float  # wall time of fitting, without the test evaluation
    stopped: bool  # True when a stop request ended training early
    epochs_completed: int


def seeded_build(build: Callable[[], keras.Model], seed: int) -> keras.Model:
    """Build a model with reproducible initial weights and dropout seeds."""
    with _BUILD_LOCK:
        keras.utils.set_random_seed(seed)
        return build()


def make_optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    lr = float(config.learning_rate)
    if config.lr_schedule == "cosine":
        total = max(config.epochs * steps_per_epoch, 2)
        warmup = min(steps_per_epoch, total // 2)  # one epoch of linear warm-up
        lr = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=lr / 10, decay_steps=total - warmup, alpha=0.01,
            warmup_target=lr, warmup_steps=warmup,
        )
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=lr)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr)
    return keras.optimizers.Adam(learning_rate=lr)


def compile_model(model: keras.Model, config: TrainConfig, steps_per_epoch: int) -> None:
    model.compile(
        optimizer=make_optimizer(config, steps_per_epoch),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=["accuracy"],
    )


def training_split(data: Dataset, config: TrainConfig):
    """(x_train, y_train, x_val, y_val) as uint8: the subset, then the last share for validation."""
    n = config.subset or len(data.x_train)
    x, y = data.x_train[:n], data.y_train[:n]
    n_val = int(round(n * config.validation_split))
    if n_val == 0:
        return x, y, x[:0], y[:0]
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]


def _to_inputs(images, labels, num_classes: int = 10):
    return tf.cast(images, tf.float32) / 255.0, tf.one_hot(tf.cast(labels, tf.int32), num_classes)


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None = None,
                 augmenter: Augmenter | None = None) -> tf.data.Dataset:
    """Batches of scaled images and one-hot labels; shuffled each epoch when a seed is given."""
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if seed is not None:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(_to_inputs)
    if augmenter is not None:
        ds = ds.enumerate().map(lambda step, xy: (augmenter(xy[0], step), xy[1]))
    return ds.prefetch(tf.data.AUTOTUNE)


def train(model: keras.Model, data: Dataset, config: TrainConfig,
          callbacks: list[keras.callbacks.Callback] = (),
          recorder: MetricsRecorder | None = None) -> TrainResult:
    """Compile and fit `model` on `data`, then evaluate it on the test set.

    Pass a `recorder` to read progress or request a stop from another thread. Raises ConfigError
    for an unusable config and TrainingDiverged when the loss stops being a number.
    """
    config.check(train_size=len(data.x_train))
    x, y, x_val, y_val = training_split(data, config)
    steps = math.ceil(len(x) / config.batch_size)
    if recorder is None:
        recorder = MetricsRecorder(config.epochs, steps, len(x), config.batch_size)
    augmenter = Augmenter(config.seed, data.name) if config.augment else None
    train_ds = make_dataset(x, y, config.batch_size, seed=config.seed, augmenter=augmenter)
    val_ds = make_dataset(x_val, y_val, 1024) if len(x_val) else None

    compile_model(model, config, steps)
    start = time.monotonic()
    model.fit(train_ds, validation_data=val_ds, epochs=config.epochs,
              callbacks=[recorder, *callbacks], shuffle=False, verbose=0)  # shuffled by tf.data
    seconds = time.monotonic() - start
    if recorder.diverged:
        raise TrainingDiverged(recorder.diverged)

    test_loss, test_accuracy = model.evaluate(
        make_dataset(data.x_test, data.y_test, 1024), verbose=0)
    history = recorder.snapshot().history
    return TrainResult(
        history=history, test_loss=float(test_loss), test_accuracy=float(test_accuracy),
        seconds=seconds, stopped=recorder.stop_requested.is_set(), epochs_completed=len(history),
    )


def estimate_epoch_seconds(build: Callable[[], keras.Model], config: TrainConfig,
                           train_size: int, probe_batches: int = 5) -> float:
    """Seconds per epoch on this machine, from timing a few training steps on random data."""
    n = min(config.subset or train_size, train_size)
    n_train = n - int(round(n * config.validation_split))
    steps = max(1, math.ceil(n_train / config.batch_size))
    model = build()
    compile_model(model, config, steps)
    rng = np.random.default_rng(0)
    x = rng.random((config.batch_size, 28, 28), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, config.batch_size)]
    model.train_on_batch(x, y)  # the first call traces the graph
    start = time.perf_counter()
    for _ in range(probe_batches):
        model.train_on_batch(x, y)
    return (time.perf_counter() - start) / probe_batches * steps
