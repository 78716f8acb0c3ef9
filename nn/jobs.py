"""A training job: one model trained in a background thread, read while it runs.

The page (or the CLI) keeps the job object; `snapshot()` returns a consistent copy of its
progress at any time. Each job owns its own model, recorder and thread: jobs share nothing.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from nn import data as data_module
from nn.drawings import DrawingsError
from nn.models import ModelSpec, build_model, preset, spec_to_dict
from nn.store import StoreError, load_model_file
from nn.training import (
    ConfigError,
    MetricsRecorder,
    Progress,
    TrainConfig,
    TrainingDiverged,
    seeded_build,
    train,
    training_split,
)


class JobState(StrEnum):
    PREPARING = "preparing"  # loading data, building the model
    RUNNING = "running"
    STOPPED = "stopped"  # stopped on request; the weights so far are kept
    FINISHED = "finished"
    FAILED = "failed"

    @property
    def done(self) -> bool:
        return self in (JobState.STOPPED, JobState.FINISHED, JobState.FAILED)


@dataclass(frozen=True)
class JobSnapshot:
    state: JobState
    message: str  # what is happening, or why it failed
    progress: Progress
    test_accuracy: float | None = None
    test_loss: float | None = None
    seconds: float | None = None  # training time, when done

    @property
    def fraction(self) -> float:
        p = self.progress
        total = p.epochs * p.batches_per_epoch
        return 0.0 if not total else min(1.0, (p.epoch * p.batches_per_epoch + p.batch) / total)


@dataclass
class TrainingJob:
    """Train `model_source` on `dataset` with `config`.

    `model_source` is a preset name, a custom spec, or the path of a saved .keras model whose
    weights training starts from (fine-tuning). `load_data` lets a caller train on another
    set of images, such as MNIST mixed with the user's own drawings.
    """

    model_source: str | ModelSpec | Path
    dataset: str = "mnist"
    config: TrainConfig = field(default_factory=TrainConfig)
    load_data: Callable[[str], data_module.Dataset] = data_module.load

    def __post_init__(self):
        if isinstance(self.model_source, str):
            preset(self.model_source)  # unknown presets fail here, not in the thread
        data_module.dataset_info(self.dataset)
        self.config.check()
        self.model = None
        self.result = None
        self.created = datetime.now(UTC)
        self._state = JobState.PREPARING
        self._message = "starting"
        self._recorder: MetricsRecorder | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="digitlab-training", daemon=True)

    # --- control --------------------------------------------------------------------------
    def start(self) -> TrainingJob:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask training to end after the current batch; the weights learned so far are kept."""
        self._stop.set()
        if self._recorder is not None:
            self._recorder.request_stop()

    def wait(self, timeout: float | None = None) -> JobSnapshot:
        self._thread.join(timeout)
        return self.snapshot()

    # --- reading --------------------------------------------------------------------------
    def snapshot(self) -> JobSnapshot:
        with self._lock:
            state, message, result = self._state, self._message, self.result
        progress = self._recorder.snapshot() if self._recorder else Progress(epochs=self.config.epochs)
        if result is None:
            return JobSnapshot(state, message, progress)
        return JobSnapshot(state, message, progress, result.test_accuracy, result.test_loss,
                           result.seconds)

    @property
    def preset_name(self) -> str | None:
        return self.model_source if isinstance(self.model_source, str) else None

    @property
    def base_model(self) -> str | None:
        """The saved model this job fine-tunes, if any."""
        return self.model_source.stem if isinstance(self.model_source, Path) else None

    def _build(self):
        if isinstance(self.model_source, Path):
            return load_model_file(self.model_source)
        return seeded_build(lambda: build_model(self.model_source), self.config.seed)

    def metadata(self) -> dict:
        """What the store keeps next to the trained model."""
        r = self.result
        return {
            "preset": self.preset_name,
            "spec": spec_to_dict(self.model_source) if isinstance(self.model_source, ModelSpec) else None,
            "fine_tuned_from": self.base_model,
            "dataset": self.dataset,
            "config": self.config.to_dict(),
            "history": r.history if r else [],
            "epochs_completed": r.epochs_completed if r else 0,
            "stopped": bool(r and r.stopped),
            "test_accuracy": r.test_accuracy if r else None,
            "test_loss": r.test_loss if r else None,
            "seconds": r.seconds if r else None,
            "params": int(self.model.count_params()) if self.model is not None else None,
        }

    # --- the thread -----------------------------------------------------------------------
    def _set(self, state: JobState, message: str) -> None:
        with self._lock:
            self._state, self._message = state, message

    def _run(self) -> None:
        try:
            self._set(JobState.PREPARING, f"loading {self.dataset}")
            dataset = self.load_data(self.dataset)
            self.config.check(train_size=len(dataset.x_train))
            self._set(JobState.PREPARING, "building the model")
            model = self._build()
            x, _, _, _ = training_split(dataset, self.config)
            steps = -(-len(x) // self.config.batch_size)
            self._recorder = MetricsRecorder(self.config.epochs, steps, len(x), self.config.batch_size)
            if self._stop.is_set():
                self._recorder.request_stop()
            self.model = model
            self._set(JobState.RUNNING, "training")
            self.result = train(model, dataset, self.config, recorder=self._recorder)
        except (ConfigError, TrainingDiverged, data_module.DataError, StoreError, DrawingsError) as e:
            self._set(JobState.FAILED, str(e))
            return
        except Exception as e:  # noqa: BLE001 - a job must end with a message, never hang
            traceback.print_exc()
            self._set(JobState.FAILED, f"training failed: {type(e).__name__}: {e}")
            return
        if self.result.stopped:
            p = self._recorder.snapshot()
            self._set(JobState.STOPPED, f"stopped at epoch {p.epoch + 1}, batch {p.batch}; "
                                        f"the weights learned so far are kept")
        else:
            self._set(JobState.FINISHED, "finished")


def run_to_end(job: TrainingJob, on_progress: Callable[[JobSnapshot], None],
               every: float = 0.5) -> JobSnapshot:
    """Start `job` and call `on_progress` with its snapshot every `every` seconds until it ends."""
    job.start()
    while True:
        snapshot = job.wait(every)
        on_progress(snapshot)
        if snapshot.state.done:
            return snapshot
