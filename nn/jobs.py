"""A training job: one model trained in its own process, read while it runs.

Each job runs in a fresh (spawned) process. TensorFlow keeps ~10 MB of traced graphs alive
after every `fit`, even after `clear_session()`, so an app that trains in its own process grows
with every training; a job process returns all of it when it ends. It also keeps the app
responsive (no shared GIL) and a crashing training cannot take the app down.

The parent keeps a mirror of the job's progress, fed through a pipe: `snapshot()` returns a
consistent copy at any time. Jobs share nothing with each other. As with any multiprocessing
code, a script that starts jobs needs the `if __name__ == "__main__":` guard.
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from nn import data as data_module
from nn.config import ConfigError, TrainConfig
from nn.models import ModelSpec, is_numpy, preset, spec_to_dict
from nn.progress import Progress, TrainResult

SEND_EVERY = 0.1  # seconds between progress messages from the job process
_SPAWN = multiprocessing.get_context("spawn")  # a fork of a process running TensorFlow is unsafe


class JobState(StrEnum):
    PREPARING = "preparing"  # starting the process, loading data, building the model
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
    """Train `model_source` on `dataset` with `config`, in a background process.

    `model_source` is a preset name (numpy-mlp trains with nn.numpy_mlp), a custom spec, or the
    path of a saved model whose weights training starts from (fine-tuning). With `with_drawings`,
    the training images are the user's labelled drawings mixed with the data set's own
    (nn.drawings.with_drawings).
    """

    model_source: str | ModelSpec | Path
    dataset: str = "mnist"
    config: TrainConfig = field(default_factory=TrainConfig)
    with_drawings: bool = False

    def __post_init__(self):
        if isinstance(self.model_source, str):
            preset(self.model_source)  # unknown presets fail here, not in the job
        data_module.dataset_info(self.dataset)
        self.config.check()
        if is_numpy(self.model_source):
            from nn.numpy_mlp import config_problems

            problems = config_problems(self.config)
            if problems:
                raise ConfigError("; ".join(problems))
        self.model = None
        self.result: TrainResult | None = None
        self.params: int | None = None
        self.created = datetime.now(UTC)
        self._state, self._message = JobState.PREPARING, "starting"
        self._progress = Progress(epochs=self.config.epochs)
        self._lock = threading.Lock()
        self._stop = _SPAWN.Event()
        self._workdir = Path(tempfile.mkdtemp(prefix="digitlab-job-"))
        self._process = None
        self._reader = threading.Thread(target=self._read, name="digitlab-job-reader", daemon=True)

    # --- control --------------------------------------------------------------------------
    def start(self) -> TrainingJob:
        receive, send = _SPAWN.Pipe(duplex=False)
        self._process = _SPAWN.Process(
            target=run_job, name="digitlab-training", daemon=True,
            args=(send, self._stop, self.model_source, self.dataset, self.config,
                  self.with_drawings, str(self._workdir)),
        )
        self._process.start()
        send.close()  # the parent only reads: EOF then means the process has gone
        self._pipe = receive
        self._reader.start()
        return self

    def stop(self) -> None:
        """Ask training to end after the current batch; the weights learned so far are kept."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> JobSnapshot:
        self._reader.join(timeout)
        return self.snapshot()

    # --- reading --------------------------------------------------------------------------
    def snapshot(self) -> JobSnapshot:
        with self._lock:
            progress = self._progress.copy()
            state, message, r = self._state, self._message, self.result
        if r is None:
            return JobSnapshot(state, message, progress)
        return JobSnapshot(state, message, progress, r.test_accuracy, r.test_loss, r.seconds)

    @property
    def preset_name(self) -> str | None:
        return self.model_source if isinstance(self.model_source, str) else None

    @property
    def base_model(self) -> str | None:
        """The saved model this job fine-tunes, if any."""
        return self.model_source.stem if isinstance(self.model_source, Path) else None

    def metadata(self) -> dict:
        """What the store keeps next to the trained model."""
        r = self.result
        return {
            "preset": self.preset_name,
            "spec": spec_to_dict(self.model_source) if isinstance(self.model_source, ModelSpec) else None,
            "fine_tuned_from": self.base_model,
            "with_drawings": self.with_drawings,
            "dataset": self.dataset,
            "config": self.config.to_dict(),
            "history": r.history if r else [],
            "epochs_completed": r.epochs_completed if r else 0,
            "stopped": bool(r and r.stopped),
            "test_accuracy": r.test_accuracy if r else None,
            "test_loss": r.test_loss if r else None,
            "seconds": r.seconds if r else None,
            "params": self.params,
        }

    # --- the parent's side of the pipe --------------------------------------------------------
    def _set(self, state: JobState, message: str) -> None:
        with self._lock:
            self._state, self._message = state, message

    def _read(self) -> None:
        """Mirror the job process's messages until it ends, then hand over the model."""
        outcome = None
        try:
            while True:
                try:
                    kind, payload = self._pipe.recv()
                except (EOFError, OSError):
                    break
                if kind == "state":
                    self._set(*payload)
                elif kind == "progress":
                    with self._lock:
                        self._progress.apply(payload)
                else:
                    outcome = (kind, payload)
            self._process.join(30)
            self._finish(outcome)
        finally:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def _finish(self, outcome) -> None:
        if outcome is None:
            code = self._process.exitcode
            self._set(JobState.FAILED, f"the training process ended unexpectedly (exit code {code})")
            return
        kind, payload = outcome
        if kind == "failed":
            self._set(JobState.FAILED, payload)
            return
        result, self.params, model_file = payload
        from nn.store import StoreError, load_model_file

        try:
            self.model = load_model_file(self._workdir / model_file)
        except StoreError as e:
            self._set(JobState.FAILED, f"the trained model could not be read back: {e}")
            return
        with self._lock:
            self.result = result
            p = self._progress
            if result.stopped:
                self._state = JobState.STOPPED
                self._message = (f"stopped at epoch {min(p.epoch + 1, p.epochs)}, batch {p.batch}; "
                                 "the weights learned so far are kept")
            else:
                self._state, self._message = JobState.FINISHED, "finished"


# --- the job process -------------------------------------------------------------------------------

def run_job(pipe, stop, model_source, dataset: str, config: TrainConfig, with_drawings: bool,
            workdir: str) -> None:
    """Entry point of the job process: train, save the model into `workdir`, report."""
    from nn.drawings import DrawingsError
    from nn.progress import TrainingDiverged
    from nn.store import StoreError, model_suffix

    def send(kind, payload) -> None:
        try:
            pipe.send((kind, payload))
        except (BrokenPipeError, OSError):
            raise SystemExit(0) from None  # the app is gone: nobody wants this training any more

    try:
        send("state", (JobState.PREPARING, f"loading {dataset}"))
        images = _load_training_data(dataset, with_drawings)
        config.check(train_size=len(images.x_train))
        send("state", (JobState.PREPARING, "building the model"))
        model = _build(model_source, config.seed)
        result = _train_reporting(model, images, config, stop, send)
        model_file = "model" + model_suffix(model)
        model.save(str(Path(workdir) / model_file))
        send("done", (result, int(model.count_params()), model_file))
    except (ConfigError, TrainingDiverged, data_module.DataError, StoreError, DrawingsError) as e:
        send("failed", str(e))
    except Exception as e:  # noqa: BLE001 - a job must end with a message, never hang
        traceback.print_exc()
        send("failed", f"training failed: {type(e).__name__}: {e}")
    finally:
        pipe.close()


def _load_training_data(dataset: str, with_drawings: bool) -> data_module.Dataset:
    images = data_module.load(dataset)
    if not with_drawings:
        return images
    from nn.drawings import DrawingStore
    from nn.drawings import with_drawings as mix

    return mix(images, DrawingStore().load(dataset))


def _build(model_source, seed: int):
    from nn.models import build_model
    from nn.store import load_model_file

    if isinstance(model_source, Path):
        return load_model_file(model_source)
    if is_numpy(model_source):
        return build_model(model_source, seed=seed)
    from nn.training import seeded_build

    return seeded_build(lambda: build_model(model_source), seed)


def _recorder_and_trainer(model, images, config: TrainConfig, stop):
    """The live-metrics recorder and the train function for this kind of model."""
    from nn.numpy_mlp import SQUARED_ERROR_OF_ZEROS, NumpyMLP

    x, _, _, _ = data_module.training_split(images, config)
    shape = (config.epochs, -(-len(x) // config.batch_size), len(x), config.batch_size)
    if isinstance(model, NumpyMLP):
        from nn import numpy_mlp
        from nn.progress import LiveMetrics

        return (LiveMetrics(*shape, stop_flag=stop, chance_loss=SQUARED_ERROR_OF_ZEROS),
                numpy_mlp.train)
    from nn.training import MetricsRecorder, train

    return MetricsRecorder(*shape, stop_flag=stop), train


def _train_reporting(model, images, config: TrainConfig, stop, send) -> TrainResult:
    """Train, with progress sent to the parent every SEND_EVERY seconds."""
    recorder, train = _recorder_and_trainer(model, images, config, stop)
    sent = {"batches": 0, "epochs": 0, "hidden": 0}
    done = threading.Event()

    def report() -> None:
        changes = recorder.changes_since(sent["batches"], sent["epochs"], sent["hidden"])
        sent["batches"] += len(changes["new_batches"])
        sent["epochs"] += len(changes["new_history"])
        sent["hidden"] = changes["hidden_version"]
        send("progress", changes)

    def reporter() -> None:
        while not done.wait(SEND_EVERY):
            report()

    send("state", (JobState.RUNNING, "training"))
    thread = threading.Thread(target=reporter, daemon=True)
    thread.start()
    try:
        return train(model, images, config, recorder=recorder)
    finally:
        done.set()
        thread.join()
        report()  # the last batches and epochs


def format_duration(seconds: float | None, missing: str = "–") -> str:
    """Seconds as m:ss, for progress lines."""
    if seconds is None:
        return missing
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def run_to_end(job: TrainingJob, on_progress: Callable[[JobSnapshot], None],
               every: float = 0.5) -> JobSnapshot:
    """Start `job` and call `on_progress` with its snapshot every `every` seconds until it ends."""
    job.start()
    while True:
        snapshot = job.wait(every)
        on_progress(snapshot)
        if snapshot.state.done:
            return snapshot
