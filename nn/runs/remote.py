"""The Ray task that trains one run on a node of the cluster (nn.runs.ray_driver submits it).

It trains with the code that trains local runs (nn.runs.worker.execute), into a folder of its own
on the node, and streams what changes there back to the driver (a Ray streaming generator: each
`yield` is one batch of nn.runs.mirror changes: metrics, checkpoints, the final model and state).
A Stop reaches it through a small actor it looks at; it then ends its training as a local run does.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import ray
import ray.exceptions

import nn
from nn import data, own_data
from nn.runs.cluster import ClusterError
from nn.runs.mirror import FolderChanges
from nn.runs.run_folder import STOP_FILE, write_json
from nn.runs.store import Run
from nn.runs.worker import FLUSH_EVERY, execute, holds_dataset
from nn.storage.locks import Lock

LOOK_FOR_STOP_EVERY = 0.5  # seconds between asks of the driver's RunSignals
ASK_TIMEOUT = 5.0
DATA_TIMEOUT = 300.0


@ray.remote(num_cpus=0)
class RunSignals:
    """What the driver tells a run's task while it trains: for now, only Stop."""

    def __init__(self):
        self.stop = False
        self.data: dict[str, list] = {}

    def request_stop(self) -> None:
        self.stop = True

    def stop_requested(self) -> bool:
        return self.stop

    def give_data(self, name: str, refs: list) -> None:
        """The driver's copy of a data set, for a node that could not fetch it (a reference in a
        list, so that Ray passes it on without fetching it here)."""
        self.data[name] = refs

    def data_for(self, name: str) -> list | None:
        return self.data.get(name)


def answer(ref, timeout: float):
    """The value of `ref`, waited for on a Python future. Not ray.get: a task blocked in ray.get
    lends its CPUs back to the node, which may start another run on them meanwhile."""
    return ref.future().result(timeout=timeout)


class StopWatch:
    """Whether the driver passed on a Stop, asked without ever blocking: one question at a time,
    its answer looked at on the next call. The actor lives on the driver's node: if it is gone, so
    is the driver, and the run ends with it; until then, it trains on."""

    def __init__(self, signals):
        self.signals, self.pending = signals, None

    def stop_requested(self) -> bool:
        if self.pending is None:
            self.pending = self.signals.stop_requested.remote().future()
            return False
        if not self.pending.done():
            return False
        pending, self.pending = self.pending, None
        try:
            return bool(pending.result())
        except ray.exceptions.RayError:
            return False


def node_name() -> str:
    """Where this task runs, for people: the node's host name and Ray's id of the node."""
    return f"{socket.gethostname()}, Ray node {ray.get_runtime_context().get_node_id()[:12]}"


def _use_the_cpus_reserved(cpus: float | None = None) -> None:
    """Ray sets OMP_NUM_THREADS from num_cpus, not TensorFlow's own pools: without this a run
    would use every core of the node, whatever it reserved. Only a process's first call counts."""
    import tensorflow as tf

    cpus = max(1, int(cpus or ray.get_runtime_context().get_assigned_resources().get("CPU", 1)))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(cpus)
        tf.config.threading.set_inter_op_parallelism_threads(cpus)
    except RuntimeError:
        pass  # set by this process's first run already (a worker trains run after run)


def _unpack(folder: Path, spec: dict, files: dict[str, bytes]) -> Run:
    for name, payload in files.items():
        if "/" in name or name.startswith("."):
            raise ClusterError(f"a run's file may not be called {name!r}")
        (folder / name).write_bytes(payload)
    if "fine_tune" in spec["source"]:  # the model it starts from came along as a file
        spec = {**spec, "source": {"fine_tune": str(folder / files_base_name(spec))}}
    write_json(folder / "run.json", spec)
    return Run(folder)


def files_base_name(spec: dict) -> str:
    """The name of the model file a fine-tuning run starts from, among the files sent with it."""
    return "base" + Path(spec["source"]["fine_tune"]).suffix


def need_data(name: str) -> tuple:
    """What the task yields when this node cannot get the data set: the driver then sends its own."""
    return ("need_data", name)


def _data_on_this_node(name: str, signals):
    """Make sure the data set is in this node's cache: its own, fetched as the server fetches it,
    or else the driver's copy, through Ray's object store (a generator: it may have to ask)."""
    if holds_dataset(name):  # loaded for an earlier run of this process
        return
    try:
        data.fetch(name)
        return
    except data.DataError:
        pass
    yield [need_data(name)]
    deadline = time.monotonic() + DATA_TIMEOUT
    while (refs := answer(signals.data_for.remote(name), ASK_TIMEOUT)) is None:
        if time.monotonic() > deadline:
            raise ClusterError(f"this node could not get {name}, and the server did not send it")
        time.sleep(0.2)
    data.cache_from_bytes(name, answer(refs[0], DATA_TIMEOUT))


@ray.remote(num_cpus=0, max_retries=0)
def warm_up(cpus_per_run: float) -> None:
    """Import TensorFlow, load the data and train a tiny network once, in a worker process of the
    driver's job on one node: the driver's first run there then starts as fast as its next ones
    (Ray gives a job's next task on a node a worker process the job already has there)."""
    from nn.runs import worker

    _use_the_cpus_reserved(cpus_per_run)
    worker.warm_up()


@ray.remote(max_retries=0)
def train_run(spec: dict, files: dict[str, bytes], signals, server_version: str, alongside: int,
              drawings=None, time_limit: float | None = None):
    """Train the run `spec` (RunSpec.to_dict) from `files` (its state, and a checkpoint to resume
    from or a model to fine-tune); yields lists of folder changes until it has ended."""
    if server_version != nn.__version__:
        raise ClusterError(f"this cluster node runs Digit Lab {nn.__version__} and the server runs "
                           f"{server_version}: install the same version on every node")
    _use_the_cpus_reserved()
    if not own_data.is_own(spec["dataset"]):  # an own set comes with the task (`drawings`)
        yield from _data_on_this_node(spec["dataset"], signals)
    top = Path(tempfile.mkdtemp(prefix="digitlab-run-"))
    try:
        folder = top / spec["id"]
        folder.mkdir()
        run = Run(_unpack(folder, spec, files).folder)
        lock = Lock(run.lock_path)
        lock.acquire()  # this node's copy is being trained (Run.status() checks)
        changes = FolderChanges(folder)
        trainer = threading.Thread(target=execute, name="digitlab-train", daemon=True,
                                   args=(run, node_name(), alongside, drawings),
                                   kwargs={"ray_node": ray.get_runtime_context().get_node_id(),
                                           "time_limit": time_limit})
        trainer.start()
        asked, watch = 0.0, StopWatch(signals)
        while trainer.is_alive():
            trainer.join(FLUSH_EVERY)
            if time.monotonic() - asked > LOOK_FOR_STOP_EVERY and not (folder / STOP_FILE).exists():
                asked = time.monotonic()
                if watch.stop_requested():
                    (folder / STOP_FILE).touch()
            batch = changes.collect()
            if batch:
                yield batch
        yield changes.collect()
        lock.release()
    finally:
        shutil.rmtree(top, ignore_errors=True)
