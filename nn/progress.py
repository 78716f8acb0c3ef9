"""Live training metrics without any framework: what a running training has done so far.

`LiveMetrics` has the Keras callback's method names, so the Keras trainer uses it as a callback
(nn.training.MetricsRecorder) and the NumPy trainer (nn.numpy_mlp) calls the same methods itself.
Readers in other threads or processes copy consistent snapshots while training goes on.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

# Cross-entropy is clipped, so a diverged model often shows a huge but finite loss rather than
# NaN: a running mean far above chance level after some batches counts as divergence too.
CHANCE_LOSS = math.log(10)  # cross-entropy of guessing uniformly over 10 classes
DIVERGENCE_FACTOR = 3
DIVERGENCE_BATCHES = 20
EPOCH_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


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
    hidden_weights: np.ndarray | None = None  # latest (784, units) first-layer weights, if shown

    def apply(self, changes: dict) -> None:
        """Bring this copy up to date with MetricsRecorder.changes_since()."""
        self.batches.extend(changes["new_batches"])
        self.history.extend(changes["new_history"])
        for key in ("epochs", "batches_per_epoch", "epoch", "batch", "elapsed", "samples_per_second"):
            setattr(self, key, changes[key])
        if changes.get("hidden_weights") is not None:
            self.hidden_weights = changes["hidden_weights"]

    def copy(self) -> Progress:
        return Progress(epochs=self.epochs, batches_per_epoch=self.batches_per_epoch, epoch=self.epoch,
                        batch=self.batch, batches=list(self.batches), history=list(self.history),
                        started=self.started, elapsed=self.elapsed,
                        samples_per_second=self.samples_per_second, hidden_weights=self.hidden_weights)

    @property
    def eta(self) -> float | None:
        """Seconds left, from the mean time per batch so far."""
        done = self.epoch * self.batches_per_epoch + self.batch
        total = self.epochs * self.batches_per_epoch
        if done == 0 or total == 0:
            return None
        return self.elapsed / done * (total - done)


class LiveMetrics:
    """Records per-batch and per-epoch metrics, stops at the next batch on request, catches NaN.

    Keras reports the running mean of the epoch after each batch; the batch's own value is
    recovered exactly from two consecutive means. `halt` turns true when training should end
    (a stop request or divergence); the trainer checks it after every batch.
    """

    def __init__(self, epochs: int, batches_per_epoch: int, samples: int, batch_size: int,
                 stop_flag=None, chance_loss: float = CHANCE_LOSS):
        self.halt = False
        self.chance_loss = chance_loss  # the loss of a model that guesses; divergence is far above it
        self._hidden_version = 0
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
            batch + 1 >= DIVERGENCE_BATCHES and running_loss > DIVERGENCE_FACTOR * self.chance_loss
        ):
            self.diverged = (
                f"the loss became {running_loss:.4g} at epoch {self.progress.epoch + 1}, "
                f"batch {batch + 1} (guessing at random gives {self.chance_loss:.2f}): training "
                f"diverged. Try a lower learning rate."
            )
            self.halt = True
        if self.stop_requested.is_set():
            self.halt = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        seconds = time.monotonic() - self._epoch_start
        row = {"epoch": epoch + 1, "seconds": seconds,
               "samples_per_second": self._samples / seconds if seconds else 0.0}
        for key in EPOCH_KEYS:
            if key in logs:
                row[key] = float(logs[key])
        completed = self.progress.batch == self.progress.batches_per_epoch
        with self.lock:
            if completed:
                self.progress.epoch = epoch + 1
                self.progress.history.append(row)
            self.progress.elapsed = time.monotonic() - self.progress.started

    def show_hidden_weights(self, weights: np.ndarray) -> None:
        """Publish a copy of the first layer's weights, for readers that draw them."""
        with self.lock:
            self.progress.hidden_weights = np.array(weights, dtype=np.float32)
            self._hidden_version += 1

    def changes_since(self, batches: int, epochs: int, hidden_version: int = -1) -> dict:
        """What changed since the reader had `batches` batch rows and `epochs` epoch rows.

        The hidden weights are included only when they are newer than `hidden_version`.
        """
        with self.lock:
            p = self.progress
            newer = self._hidden_version != hidden_version
            return {"epochs": p.epochs, "batches_per_epoch": p.batches_per_epoch, "epoch": p.epoch,
                    "batch": p.batch, "elapsed": p.elapsed, "samples_per_second": p.samples_per_second,
                    "new_batches": p.batches[batches:], "new_history": p.history[epochs:],
                    "hidden_weights": p.hidden_weights if newer else None,
                    "hidden_version": self._hidden_version}

    def snapshot(self) -> Progress:
        """A copy that the reader may keep while training goes on."""
        with self.lock:
            return self.progress.copy()


@dataclass
class TrainResult:
    history: list[dict]  # per completed epoch
    test_loss: float
    test_accuracy: float
    seconds: float  # wall time of fitting, without the test evaluation
    stopped: bool  # True when a stop request ended training early
    epochs_completed: int


