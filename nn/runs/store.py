"""Runs: every training is a run that belongs to a workspace and outlives the tab that started it.

A run is a folder on disk (nn.runs.run_folder): what to train, its state, its metrics as they arrive,
its last finished epoch's weights, and in the end its model and test accuracy. Any page, tab or
later visit reads it from there; the queue (nn.runs.run_queue) starts it, a worker process (nn.runs.worker)
trains it. A finished or stopped run keeps its result until its owner saves it as a model or
deletes it.
"""

from __future__ import annotations

import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from nn import data, own_data
from nn.errors import DigitLabError
from nn.kinds import registry as kinds
from nn.kinds.kind import ten_classes_only
from nn.limits import MAX_RUNS_PER_WORKSPACE
from nn.phrases import counted, said
from nn.presets import ModelSource, display_name, source_from_dict, source_to_dict
from nn.runs.run_folder import (
    CHECKPOINT_FILE,
    CHECKPOINT_NAME,
    EPOCHS_FILE,
    LOCK_FILE,
    PROGRESS_FILE,
    RUN_FILE,
    SAVED_FILE,
    STATE_FILE,
    STOP_FILE,
    read_json,
    read_json_cached,
    read_lines,
    write_json,
)
from nn.storage import class_rules, quota
from nn.storage.locks import locked
from nn.storage.workspaces import Workspace
from nn.training_config import TRAIN_IMAGES, ConfigError, TrainConfig


def runs_per_person() -> int | None:
    """How many runs one person may have waiting or training at once on a class's server."""
    return class_rules.class_limit("DIGITLAB_MAX_RUNS_PER_PERSON")


def run_time_limit() -> float | None:
    """The longest a run may train on a class's server, in seconds; it is then stopped with its
    weights kept."""
    minutes = class_rules.class_limit("DIGITLAB_MAX_RUN_MINUTES")
    return None if minutes is None else minutes * 60


def change_class_limits(runs_per_person: int, run_minutes: float) -> None:
    """A teacher's change of both, from now on, for every server of the class."""
    class_rules.change_limit("DIGITLAB_MAX_RUNS_PER_PERSON", runs_per_person)
    class_rules.change_limit("DIGITLAB_MAX_RUN_MINUTES", run_minutes)


class RunError(DigitLabError):
    """A run cannot be found or changed; the message says why."""


class RunState(StrEnum):
    QUEUED = "queued"  # waiting for a free training slot
    PREPARING = "preparing"  # a worker has it: loading data, building the model
    RUNNING = "running"
    STOPPED = "stopped"  # stopped on request; the weights so far are kept
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process ended (a restart, a crash); it can be resumed

    @property
    def training(self) -> bool:
        return self in (RunState.PREPARING, RunState.RUNNING)

    @property
    def active(self) -> bool:
        return self is RunState.QUEUED or self.training

    @property
    def has_model(self) -> bool:
        return self in (RunState.STOPPED, RunState.FINISHED)


@dataclass(frozen=True)
class RunSpec:
    """What a run trains; written once, when it is submitted."""

    id: str
    workspace: str
    created: float  # time.time()
    source: ModelSource
    dataset: str
    config: TrainConfig
    with_drawings: bool = False
    images: int | None = None  # the images it trains on, for a set of one's own (MNIST's 60,000 else)

    def to_dict(self) -> dict:
        return {"id": self.id, "workspace": self.workspace, "created": self.created,
                "source": source_to_dict(self.source), "dataset": self.dataset,
                "config": self.config.to_dict(), "with_drawings": self.with_drawings,
                **({"images": self.images} if self.images else {})}

    @classmethod
    def from_dict(cls, d: dict) -> RunSpec:
        images = d.get("images")
        return cls(d["id"], d["workspace"], d["created"], source_from_dict(d["source"]), d["dataset"],
                   TrainConfig.from_dict(d["config"]), d.get("with_drawings", False),
                   images if isinstance(images, int) and images > 0 else None)

    @property
    def title(self) -> str:
        """'cnn-best on mnist', for people."""
        return f"{display_name(self.source)} on {self.dataset}"


_specs: dict[Path, RunSpec] = {}  # run folder -> its spec; run ids are never reused


def _now() -> float:
    return time.time()


class Run:
    """One run's folder. Reading is cheap and always current; writers hold its lock."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.id = self.folder.name

    def __eq__(self, other) -> bool:
        return isinstance(other, Run) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)

    @property
    def spec(self) -> RunSpec:
        """What the run trains (run.json is written once: read once per process)."""
        spec = _specs.get(self.folder)
        if spec is None:
            raw = read_json(self.folder / RUN_FILE)
            if raw is None:
                raise RunError(said("run {id} is gone", id=self.id))
            spec = _specs[self.folder] = RunSpec.from_dict(raw)
        return spec

    @property
    def kind(self) -> kinds.Kind:
        return kinds.of_source(self.spec.source)

    @property
    def lock_path(self) -> Path:
        return self.folder / LOCK_FILE

    # --- state ---------------------------------------------------------------------------------
    def status(self, holding_lock: bool = False) -> dict:
        """state.json as it stands, read only. A run marked as training whose process is gone (its
        lock is free, or `holding_lock`: the caller holds it) reads as interrupted, with
        "abandoned" set, until `settle` writes that down."""
        status = read_json_cached(self.folder / STATE_FILE, {})
        if not status or not RunState(status["state"]).training:
            return status
        if not holding_lock:
            with locked(self.lock_path) as got:
                if not got:  # its process holds it: it trains
                    return status
                status = read_json(self.folder / STATE_FILE, {})  # it may have just ended
        if not RunState(status["state"]).training:
            return status
        return {**status, "state": RunState.INTERRUPTED, "ended_at": _now(), "abandoned": True,
                "message": interrupted_message(self.checkpoint_epoch())}

    def settle(self) -> None:
        """Write down that an abandoned run was interrupted (nn.runs.scheduler does, when it sees one)."""
        with locked(self.lock_path) as got:
            status = self.status(holding_lock=True) if got else {}
            if status.get("abandoned"):
                try:
                    self.end(RunState.INTERRUPTED, status["message"])
                except OSError:  # a full disk: it still reads as interrupted; a later look writes it
                    pass

    @property
    def state(self) -> RunState:
        status = self.status()
        return RunState(status["state"]) if status else RunState.FAILED

    def write_status(self, **changes) -> dict:
        """Change state.json; the caller holds the run's lock (or the run is not yet visible)."""
        status = {**read_json(self.folder / STATE_FILE, {}), **changes}
        write_json(self.folder / STATE_FILE, status)
        return status

    def end(self, state: RunState, message: str, **results) -> dict:
        """The one way a run ends: its end state, why, when, and what it gave (`results`)."""
        if state.active:
            raise ValueError(f"a run does not end {state}")
        return self.write_status(state=state, message=message, ended_at=_now(), **results)

    def counters(self) -> dict:
        """epoch, batch, epochs, batches_per_epoch, elapsed, samples_per_second (may be empty)."""
        return read_json(self.folder / PROGRESS_FILE, {})

    def history(self) -> list[dict]:
        return read_lines(self.folder / EPOCHS_FILE)

    @property
    def stop_requested(self) -> bool:
        return (self.folder / STOP_FILE).exists()

    def stopped_by(self) -> str:
        """Who asked it to stop, when not its owner ("" otherwise)."""
        try:
            return (self.folder / STOP_FILE).read_text()[:40].strip()
        except OSError:
            return ""

    # --- weights ----------------------------------------------------------------------------------
    def checkpoint(self) -> dict | None:
        """{"epoch", "file", "elapsed"} of the last finished epoch's weights, if kept. A pointer
        that names anything but a checkpoint file in this folder is ignored: it may have come from
        a cluster node, and Resume sends the file it names, and the run's end deletes it."""
        pointer = read_json(self.folder / CHECKPOINT_FILE)
        if not (isinstance(pointer, dict) and isinstance(pointer.get("epoch"), int)
                and isinstance(pointer.get("file"), str) and CHECKPOINT_NAME.fullmatch(pointer["file"])):
            return None
        if (self.folder / pointer["file"]).is_file():
            return pointer
        return None

    def checkpoint_epoch(self) -> int:
        pointer = self.checkpoint()
        return pointer["epoch"] if pointer else 0

    @property
    def model_path(self) -> Path:
        """Where the final model is written once training ends."""
        return self.folder / f"model{self.kind.suffix}"

    def saved_as(self) -> list[str]:
        return read_json(self.folder / SAVED_FILE, [])


def file_params(kind: kinds.Kind, path: Path) -> int:
    """A stored model's parameters: from the metadata the store wrote beside it (on upload, from its
    trial), else counted from the file itself."""
    params = (read_json(path.with_suffix(".json")) or {}).get("params")
    return int(params) if isinstance(params, int) else int(kind.params(kind.load(path)))


def interrupted_message(epoch: int, why: str = "its training process ended (a server restart or a crash)"
                        ) -> str:
    kept = (f"the weights of epoch {epoch} are kept: resume to go on from there" if epoch
            else "no epoch had finished: resume to start it again")
    return f"interrupted: {why}; {kept}"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


@dataclass(frozen=True)
class Submitted:
    run: Run
    removed: list[str]  # old runs removed to stay within the workspace's bound, for people


class RunStore:
    """One workspace's runs."""

    def __init__(self, workspace: Workspace, limit: int = MAX_RUNS_PER_WORKSPACE):
        self.workspace = workspace
        self.root = workspace.runs_dir
        self.limit = limit

    def list(self) -> list[Run]:
        """The workspace's runs, newest first."""
        if not self.root.is_dir():
            return []
        runs = [Run(p) for p in self.root.iterdir()
                if p.is_dir() and not p.name.startswith(".") and (p / RUN_FILE).exists()]
        return sorted(runs, key=lambda r: (r.spec.created, r.id), reverse=True)

    def get(self, run_id: str) -> Run:
        run_id = str(run_id or "")
        plausible = run_id and "/" not in run_id and not run_id.startswith(".")
        if not plausible or not (self.root / run_id / RUN_FILE).exists():
            raise RunError(said("there is no run {run} in this workspace", run=repr(run_id)))
        return Run(self.root / run_id)

    # --- submitting ---------------------------------------------------------------------------------
    def submit(self, source: ModelSource, dataset: str, config: TrainConfig,
               with_drawings: bool = False) -> Submitted:
        """Check everything that can be checked now, then queue the run."""
        self.check_login()
        images = self.check(source, dataset, config, with_drawings)
        with quota.room(self.workspace):  # the person's limits and the new run, as one step
            self.check_room_in_the_queue()
            removed = self._make_room()
            spec = RunSpec(new_run_id(), self.workspace.id, _now(), source, dataset, config, with_drawings,
                           images)
            staging = self.root / f".{spec.id}"
            staging.mkdir(parents=True)
            write_json(staging / RUN_FILE, spec.to_dict())
            write_json(staging / STATE_FILE, {"state": RunState.QUEUED, "message": "waiting for a free slot",
                                              "queued_at": spec.created})
            staging.rename(self.root / spec.id)  # the run appears whole, or not at all
        return Submitted(Run(self.root / spec.id), removed)

    def check_login(self) -> None:
        """On a server where training needs a login (DIGITLAB_TRAIN_NEEDS_LOGIN), a token's
        workspace trains nothing."""
        if class_rules.train_needs_login() and not self.workspace.is_logged_in:
            raise RunError(said("training on this server needs a login: log in (in the sidebar) and press "
                                "Train again"))

    def check(self, source: ModelSource, dataset: str, config: TrainConfig,
              with_drawings: bool) -> int | None:
        """Raise ConfigError (all problems) or RunError for a run that could not train; for a set
        of one's own, how many images it trains on."""
        kind = kinds.of_source(source)
        images = None
        if own_data.is_own(dataset):  # one of the person's own sets: enough drawings, a kind for them
            own = own_data.own_set(self.workspace, dataset)
            counts = own.counts()
            own_data.check_trainable(counts)
            if not kind.any_classes:
                ten_classes_only(kind.title, len(own.classes))
            images = own_data.training_images(sum(counts.values()))
        else:
            data.dataset_info(dataset)
        problems = config.problems(TRAIN_IMAGES) + kind.config_problems(config)
        if not isinstance(source, (str, Path)):
            from nn.kinds.keras.plans import validate_spec

            problems += validate_spec(source)
        if problems:
            raise ConfigError("; ".join(problems))
        self.check_size(kind, source)
        if isinstance(source, Path):
            if not kind.fine_tunable:
                raise RunError(said("{model} cannot be fine-tuned: only Keras networks can",
                                    model=source.stem))
            if not source.exists():
                raise RunError(said("the model {model} to start from is gone", model=source.stem))
        if with_drawings and not self.workspace.drawings().count(dataset):
            raise RunError(said("there are no saved drawings to fine-tune on"))
        return images

    @staticmethod
    def check_size(kind: kinds.Kind, source: ModelSource) -> None:
        """Raise RunError for a network larger than a class's server trains (model_params_limit)."""
        bound = class_rules.model_params_limit()
        if bound is None:
            return
        if isinstance(source, Path):  # fine-tuning trains all of a stored model: its size counts too
            params = file_params(kind, source)
            if params > bound:
                raise RunError(said("{model} has {params} parameters; the most a run may train on this "
                                    "server is {bound}: fine-tune a smaller model", model=source.stem,
                                    params=params, bound=bound))
            return
        params = sum(row.get("params") or 0 for row in kind.describe(source))
        if params > bound:
            raise RunError(said("this network has {params} parameters; the most a run may train on this "
                                "server is {bound}: use fewer or smaller layers", params=params, bound=bound))

    def check_room_in_the_queue(self) -> None:
        """Raise RunError when this person already has as many runs waiting or training as one
        person may (runs_per_person)."""
        bound = runs_per_person()
        if bound is None:
            return
        active = sum(run.state.active for run in self.list())
        if active >= bound:
            raise RunError(counted("you already have {active} run waiting or training, the most one person "
                                   "may have at once on this server ({n}): wait until one ends, or stop one "
                                   "you need less",
                                   "you already have {active} runs waiting or training, the most one person "
                                   "may have at once on this server ({n}): wait until one ends, or stop one "
                                   "you need less", bound, active=active))

    def _make_room(self) -> list[str]:
        """Remove old runs beyond the bound: those saved as models first (nothing is lost), then
        the oldest unsaved ones. Runs that are queued or training are never removed."""
        runs = self.list()
        excess = len(runs) - (self.limit - 1)
        if excess <= 0:
            return []
        done = [r for r in reversed(runs) if not r.state.active]  # oldest first
        order = [r for r in done if r.saved_as()] + [r for r in done if not r.saved_as()]
        removed = []
        for run in order[:excess]:
            with locked(run.lock_path) as got:
                if got:
                    note = f"{run.spec.title} ({run.state}{', saved' if run.saved_as() else ', not saved'})"
                    shutil.rmtree(run.folder, ignore_errors=True)
                    removed.append(note)
        return removed

    # --- changing ----------------------------------------------------------------------------------
    def stop(self, run_id: str, by: str = "") -> str:
        """Cancel a queued run, or ask a training one to stop after its current batch; `by` says
        who did, when it was not its owner ("your teacher"), for the run's message."""
        run = self.get(run_id)
        if run.state is RunState.QUEUED:
            with locked(run.lock_path) as got:
                if got and run.state is RunState.QUEUED:
                    shutil.rmtree(run.folder, ignore_errors=True)
                    return "cancelled"
        if run.state.training:
            (run.folder / STOP_FILE).write_text(by[:40])
            return "stopping"
        return str(run.state)

    def resume(self, run_id: str) -> Run:
        """Queue an interrupted run again; it goes on from its last finished epoch."""
        run = self.get(run_id)
        with quota.room(self.workspace), locked(run.lock_path) as got:
            self.check_room_in_the_queue()
            status = run.status(holding_lock=True) if got else run.status()
            state = RunState(status["state"]) if status else RunState.FAILED
            if state is not RunState.INTERRUPTED:
                raise RunError(said("only an interrupted run can be resumed; this one is {state}",
                                    state=str(state)))
            (run.folder / STOP_FILE).unlink(missing_ok=True)
            epoch = run.checkpoint_epoch()
            message = f"waiting to resume from epoch {epoch}" if epoch else "waiting to start again"
            run.write_status(state=RunState.QUEUED, queued_at=_now(), ended_at=None, message=message,
                             resumed=run.status().get("resumed", 0) + 1)
        return run

    def delete(self, run_id: str) -> None:
        run = self.get(run_id)
        with locked(run.lock_path) as got:
            if not got:
                raise RunError(said("the run is training: stop it before deleting it"))
            shutil.rmtree(run.folder, ignore_errors=True)

    # --- keeping the result ----------------------------------------------------------------------
    def default_model_name(self, run: Run, models) -> str:
        """A free name for the run's model in `models` (nn.storage.saved_models.ModelStore)."""
        source = run.spec.source
        if isinstance(source, Path) and own_data.is_own(run.spec.dataset):  # transfer
            base = f"{source.stem}-{own_data.file_name_part(self.workspace, run.spec.dataset)}"
        elif isinstance(source, Path):
            base = f"{source.stem}-my-drawings"
        elif isinstance(source, str):
            base = f"{source}-{own_data.file_name_part(self.workspace, run.spec.dataset)}"
        else:
            base = f"custom-{source.kind}-{own_data.file_name_part(self.workspace, run.spec.dataset)}"
        return models.unique_name(base)

    def save_as_model(self, run_id: str, name: str, models):
        """Store the run's model under `name` in `models` (nn.storage.saved_models.ModelStore)."""
        run = self.get(run_id)
        if not run.state.has_model or not run.model_path.exists():
            raise RunError(said("this run has no model to save (it is {state})", state=str(run.state)))
        info = models.save_file(run.model_path, name, model_metadata(run))
        write_json(run.folder / SAVED_FILE, [*run.saved_as(), info.name])
        return info


def model_metadata(run: Run) -> dict:
    """What the store keeps next to a run's model."""
    spec, status = run.spec, run.status()
    source = source_to_dict(spec.source)
    return {
        "preset": source.get("preset"),
        "spec": source.get("spec"),
        "fine_tuned_from": spec.source.stem if isinstance(spec.source, Path) else None,
        "with_drawings": spec.with_drawings,
        "dataset": spec.dataset,
        **own_set_metadata(run),
        "config": spec.config.to_dict(),
        "history": run.history(),
        "epochs_completed": status.get("epochs_completed", 0),
        "stopped": status.get("state") == RunState.STOPPED,
        "test_accuracy": status.get("test_accuracy"),
        "test_loss": status.get("test_loss"),
        "seconds": status.get("seconds"),
        "params": status.get("params"),
        "calibration": status.get("calibration"),
        "run": run.id,
    }


def own_set_metadata(run: Run) -> dict:
    """For a model of one of the person's own sets: its classes, the set's name and the drawings
    it was scored on, which the model keeps (the set may change or go; the model still names what
    it answers)."""
    if not own_data.is_own(run.spec.dataset):
        return {}
    try:
        own = own_data.own_set(Workspace(run.spec.workspace), run.spec.dataset)
    except DigitLabError:
        return {}
    return {"classes": list(own.classes), "dataset_title": own.name,
            "tested_on": run.status().get("tested_on")}  # the set grows: later models, other people
