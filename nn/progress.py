"""Live training metrics without any framework: what a running training has done so far.

`LiveMetrics` has the Keras callback's method names, so the Keras trainer uses it as a callback
(nn.kinds.keras.training.MetricsRecorder) and the other trainers (nn.kinds.numpy_net,
nn.kinds.forest) call the same methods themselves. The run's writer (nn.runs.worker) copies what
is new to disk while training goes on, from another thread.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from nn.errors import DigitLabError

# Cross-entropy is clipped, so a diverged model often shows a huge but finite loss rather than
# NaN: a running mean far above chance level after some batches counts as divergence too.
CHANCE_LOSS = math.log(10)  # cross-entropy of guessing uniformly over 10 classes
DIVERGENCE_FACTOR = 3
DIVERGENCE_BATCHES = 20
EPOCH_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")
# Per-batch rows a run keeps at most: past it, neighbours are merged two by two and later batches
# are kept in groups as large, so that a long run's charts, files and reads cost what a short one's do.
MAX_BATCH_POINTS = 10_000


class TrainingDiverged(DigitLabError, RuntimeError):
    """The loss became NaN or infinite, or stayed far above guessing's after the first batches
    (Recorder: DIVERGENCE_FACTOR times the chance loss)."""


@dataclass
class Progress:
    """What a training has done so far, as the recorder and the run store keep it."""

    epochs: int = 0  # planned
    batches_per_epoch: int = 0
    epoch: int = 0  # epochs completed
    batch: int = 0  # batches completed in the current epoch
    batches: list[dict] = field(default_factory=list)  # step, epoch, loss, accuracy (per batch)
    history: list[dict] = field(default_factory=list)  # per epoch: loss, accuracy, val_*, seconds
    elapsed: float = 0.0  # seconds of training so far
    first_batch: float = 0.0  # `elapsed` when this training's first batch ended (the step is traced then)
    first_step: int = 0  # batches done by then (more than one in a resumed run)
    samples_per_second: float = 0.0
    hidden_weights: np.ndarray | None = None  # latest (784, units) first-layer weights, if shown

    @property
    def fraction(self) -> float:
        total = self.epochs * self.batches_per_epoch
        return 0.0 if not total else min(1.0, (self.epoch * self.batches_per_epoch + self.batch) / total)

    @property
    def current_epoch(self) -> int:
        """The epoch being trained (1-based), or the last one once it is complete."""
        if self.batch == self.batches_per_epoch or self.epoch == self.epochs:
            return max(self.epoch, 1)
        return min(self.epoch + 1, self.epochs)

    @property
    def eta(self) -> float | None:
        """Seconds left, from the mean time per batch since the first one (which also builds
        and traces the training step: counted in, it made early ETAs several times too long)."""
        done = self.epoch * self.batches_per_epoch + self.batch
        total = self.epochs * self.batches_per_epoch
        if done == 0 or total == 0 or self.elapsed <= 0:
            return None
        left = max(0, total - done)  # never negative (a resumed run's counters)
        if done > self.first_step and 0 < self.first_batch < self.elapsed:
            return (self.elapsed - self.first_batch) / (done - self.first_step) * left
        return self.elapsed / done * left

    def counters(self) -> dict:
        """The small, often-changing part, as the run store writes it."""
        return {"epochs": self.epochs, "batches_per_epoch": self.batches_per_epoch, "epoch": self.epoch,
                "batch": self.batch, "elapsed": self.elapsed, "first_batch": self.first_batch,
                "first_step": self.first_step, "samples_per_second": self.samples_per_second}


class LiveMetrics:
    """Records per-batch and per-epoch metrics, ends training at the next batch when asked to,
    catches divergence.

    Keras reports the running mean of the epoch after each batch; the batch's own value is
    recovered exactly from two consecutive means. `halt` turns true when training should end
    (`end_early` set, or divergence); the trainer checks it after every batch.
    """

    def __init__(self, epochs: int, batches_per_epoch: int, samples: int, batch_size: int,
                 end_early=None, chance_loss: float = CHANCE_LOSS):
        self.halt = False
        self.chance_loss = chance_loss  # the loss of a model that guesses; divergence is far above it
        self.hidden_version = 0
        self.progress = Progress(epochs=epochs, batches_per_epoch=batches_per_epoch)
        self.lock = threading.Lock()
        # Set when training should end after this batch, before its last epoch: a person asked
        # to stop, or the run's time is up (nn.runs.worker.RunWatcher sets it).
        self.end_early = end_early if end_early is not None else threading.Event()
        self.diverged: str | None = None
        self._samples, self._batch_size = samples, batch_size
        self._previous = {}
        self._started = self._epoch_start = time.monotonic()
        self._elapsed_before = 0.0  # training seconds of the run before it was resumed
        self.stride = 1  # batches per kept row (doubles each time the rows are thinned)
        self.thinned = 0  # how many times the rows were thinned: writers then rewrite them all
        self._group: list[dict] = []  # batches of the row being gathered

    def resume_from(self, history: list[dict], batches: list[dict], elapsed: float) -> None:
        """Continue a run that stopped after len(history) complete epochs."""
        with self.lock:
            self.progress.history = list(history)
            self.progress.batches = [b for b in batches if b["epoch"] <= len(history)]
            rows = self.progress.batches
            self.stride = max(1, rows[-1]["step"] - rows[-2]["step"]) if len(rows) > 1 else 1
            self.progress.epoch = len(history)
            self.progress.elapsed = self._elapsed_before = elapsed

    def on_train_begin(self, logs=None):
        self._started = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.monotonic()
        self._previous = {}
        with self.lock:
            self.progress.batch = 0

    def _batch_size_at(self, batch: int) -> int:
        last = self._samples - (self.progress.batches_per_epoch - 1) * self._batch_size
        return last if batch == self.progress.batches_per_epoch - 1 else self._batch_size

    def on_train_batch_end(self, batch, logs=None):
        """Keras' hook: `logs` holds the running means of the epoch so far."""
        logs = logs or {}
        seen = batch * self._batch_size + self._batch_size_at(batch)
        values = {}
        for key in ("loss", "accuracy"):
            mean = float(logs.get(key, float("nan")))
            before = self._previous.get(key, 0.0) * batch * self._batch_size
            values[key] = (mean * seen - before) / self._batch_size_at(batch)
            self._previous[key] = mean
        self.record_batch(batch, values["loss"], values["accuracy"], seen, float(logs.get("loss", 0.0)))

    def record_batch(self, batch: int, loss: float, accuracy: float, seen: int,
                     running_loss: float | None = None) -> None:
        """One batch's own loss and accuracy; `seen` images of this epoch so far."""
        now = time.monotonic()
        with self.lock:
            p = self.progress
            p.batch = batch + 1
            p.elapsed = self._elapsed_before + now - self._started
            if not p.first_batch:
                p.first_batch, p.first_step = p.elapsed, p.epoch * p.batches_per_epoch + p.batch
            self._keep({"step": p.epoch * p.batches_per_epoch + batch + 1, "epoch": p.epoch + 1,
                        "loss": loss, "accuracy": accuracy}, last_of_epoch=p.batch == p.batches_per_epoch)
            p.samples_per_second = seen / max(now - self._epoch_start, 1e-9)
        running = loss if running_loss is None else running_loss
        if not math.isfinite(running) or (
            batch + 1 >= DIVERGENCE_BATCHES and running > DIVERGENCE_FACTOR * self.chance_loss
        ):
            self.diverged = (
                f"the loss became {running:.4g} at epoch {self.progress.epoch + 1}, "
                f"batch {batch + 1} (guessing at random gives {self.chance_loss:.2f}): training "
                f"diverged. Try a lower learning rate."
            )
            self.halt = True
        if self.end_early.is_set():
            self.halt = True

    def _keep(self, row: dict, last_of_epoch: bool) -> None:
        """Add a batch's row, gathered with the next ones into one while the rows are thinned;
        the caller holds the lock."""
        self._group.append(row)
        if len(self._group) < self.stride and not last_of_epoch:
            return
        self.progress.batches.append(merged(self._group))
        self._group = []
        if len(self.progress.batches) > MAX_BATCH_POINTS:
            rows = self.progress.batches
            self.progress.batches = [merged(rows[i:i + 2]) for i in range(0, len(rows), 2)]
            self.stride *= 2
            self.thinned += 1

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
            self.progress.elapsed = self._elapsed_before + time.monotonic() - self._started

    def show_hidden_weights(self, weights: np.ndarray) -> None:
        """Publish a copy of the first layer's weights, for readers that draw them."""
        with self.lock:
            self.progress.hidden_weights = np.array(weights, dtype=np.float32)
            self.hidden_version += 1

    def changes_since(self, batches: int, epochs: int, thinned: int = 0
                      ) -> tuple[dict, list[dict], list[dict], int]:
        """(counters, new batch rows, new epoch rows, times thinned) since a reader had that many
        rows, after the rows were thinned that many times; all the batch rows if thinned since."""
        with self.lock:
            p = self.progress
            new = p.batches if thinned != self.thinned else p.batches[batches:]
            return p.counters(), list(new), p.history[epochs:], self.thinned

    def snapshot(self) -> Progress:
        """A copy that the reader may keep while training goes on."""
        with self.lock:
            p = self.progress
            return Progress(**{**p.counters(), "batches": list(p.batches), "history": list(p.history),
                               "hidden_weights": p.hidden_weights})


def merged(rows: list[dict]) -> dict:
    """Consecutive batches' rows as one: their mean loss and accuracy, at the last one's step."""
    if len(rows) == 1:
        return rows[0]
    return {"step": rows[-1]["step"], "epoch": rows[-1]["epoch"],
            "loss": sum(r["loss"] for r in rows) / len(rows),
            "accuracy": sum(r["accuracy"] for r in rows) / len(rows)}


def format_duration(seconds: float | None, missing: str = "–") -> str:
    """Seconds as m:ss (or h:mm:ss), for progress lines."""
    if seconds is None:
        return missing
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class TrainResult:
    history: list[dict]  # per completed epoch
    test_loss: float
    test_accuracy: float
    seconds: float  # wall time of fitting, without the test evaluation
    stopped: bool  # True when a stop request ended training early
    epochs_completed: int
    calibration: dict | None = None  # temperature and test-set ECE before/after (nn.kinds.keras.training)
