"""A Ray driver process: what the scheduler starts in place of a local worker when runs execute on
a Ray cluster (DIGITLAB_RAY_ADDRESS).

It speaks the worker's protocol with the scheduler (nn.runs.worker.main) and claims a run exactly
as a worker does (the run's lock and a training slot), but trains nothing itself and never imports
TensorFlow: it submits one task per run (nn.runs.remote.train_run, reserving
DIGITLAB_RAY_CPUS_PER_RUN CPUs, never retried: an interrupted run resumes from its checkpoint
instead) and writes what the task streams back into the run's folder (nn.runs.mirror).

- Stop: the person's Stop is forwarded to the task, which ends its training as a local run does
  and sends its weights; a task that does not answer within STOP_GRACE seconds is cancelled.
- A lost node or a lost cluster makes the run interrupted, with the last checkpoint that arrived;
  Resume sends it to a new task, on any node.
- How many runs train at once: the cluster's CPUs divided by the CPUs per run, read when the driver
  connects (DIGITLAB_MAX_TRAININGS still overrides it).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

import ray
import ray.exceptions
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

import nn
from nn import data, settings
from nn.errors import DigitLabError
from nn.runs import cluster
from nn.runs.mirror import MirrorError, apply
from nn.runs.remote import RunSignals, files_base_name, train_run, warm_up
from nn.runs.run_folder import BATCHES_FILE, CHECKPOINT_FILE, EPOCHS_FILE, STATE_FILE
from nn.runs.store import Run, RunState, interrupted_message, run_time_limit
from nn.runs.worker import messages_until_parent_goes, serve

STOP_GRACE = 30.0  # seconds a task has to answer Stop before it is cancelled
LOOK_FOR_STOP_EVERY = 0.2
WARM_UP_TIMEOUT = 120.0
CONNECT_TIMEOUT = 5.0


def unreachable(address: str, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """Why the cluster's head cannot be reached, for people; None when it answers. (ray.init waits
    minutes for a head that is not there.)"""
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except (OSError, ValueError) as e:
        return f"the Ray cluster at {address} cannot be reached ({e})"
    return None


def connect() -> int:
    """Join the cluster as a driver; returns how many runs it trains at once."""
    ray.init(address=cluster.ray_address(), logging_level=logging.WARNING, log_to_driver=False,
             namespace="digitlab")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # Ray's handler prints a stack for a plain exit
    chosen = settings.value("DIGITLAB_MAX_TRAININGS")
    return chosen or cluster.slots_for(ray.cluster_resources().get("CPU", 0))


def files_to_send(run: Run) -> dict[str, bytes]:
    """What the task needs besides the run's spec: its state, the checkpoint it resumes from with
    the metrics so far, the model it fine-tunes."""
    files = {STATE_FILE: (run.folder / STATE_FILE).read_bytes()}
    pointer = run.checkpoint() if run.status().get("resumed") else None
    if pointer:
        for name in (CHECKPOINT_FILE, pointer["file"], EPOCHS_FILE, BATCHES_FILE):
            if (run.folder / name).exists():
                files[name] = (run.folder / name).read_bytes()
    source = run.spec.source
    if isinstance(source, Path):
        files[files_base_name(run.spec.to_dict())] = source.read_bytes()
    return files


def drawings_to_send(run: Run):
    """What a node cannot read from the server's disk: the person's drawings a run fine-tunes on,
    or the own set it trains on, split as a local run splits it (nn.runs.worker.training_data)."""
    from nn import own_data
    from nn.storage.workspaces import Workspace

    if own_data.is_own(run.spec.dataset):
        own = own_data.own_set(Workspace(run.spec.workspace), run.spec.dataset)
        return own_data.as_dataset(own, run.spec.config.seed)
    if not run.spec.with_drawings:
        return None
    return Workspace(run.spec.workspace).drawings().load(run.spec.dataset)


_sent_data: dict[str, object] = {}  # data set -> its reference in the object store, put once


def send_data(signals, name: str) -> None:
    """The server's copy of a data set, for a node that could not fetch it."""
    if name not in _sent_data:
        _sent_data[name] = ray.put(data.fetch(name).read_bytes())
    signals.give_data.remote(name, [_sent_data[name]])


class StopForwarder(threading.Thread):
    """Passes the person's Stop on to the task; cancels a task that does not answer in time, or
    that has not started yet (a run still waiting for the cluster has nothing to keep)."""

    def __init__(self, run: Run, signals, stream):
        super().__init__(name="digitlab-stop-forwarder", daemon=True)
        self.training, self.signals, self.stream = run, signals, stream
        self.done, self.started = threading.Event(), threading.Event()
        self.cancelled: str | None = None

    def run(self) -> None:
        asked = None
        while not self.done.wait(LOOK_FOR_STOP_EVERY):
            if not self.training.stop_requested:
                continue
            if asked is None:
                asked = time.monotonic()
                self.signals.request_stop.remote()
            if not self.started.is_set():
                self.cancelled = "stopped before the cluster started it"
            elif time.monotonic() - asked > STOP_GRACE:
                self.cancelled = f"its cluster node did not answer Stop within {STOP_GRACE:.0f} s"
            if self.cancelled:
                ray.cancel(self.stream, force=True)
                return


_last_node: list[str] = []  # where this driver's last run trained


def where_to_train():
    """The node of this driver's last run, if it has the CPUs free: its Ray worker process there
    has TensorFlow imported and the data loaded (a fresh one takes about 4 s more to start);
    anywhere otherwise."""
    if not _last_node:
        return "DEFAULT"
    return NodeAffinitySchedulingStrategy(_last_node[-1], soft=True)


def warm_a_node() -> None:
    """As a local worker warms up before its first run: a worker process of this driver's on one
    node that trains (drivers pick different ones), where its first run then goes if it can."""
    cpus = cluster.cpus_per_run()
    nodes = sorted(n["NodeID"] for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU", 0) >= cpus)
    if not nodes:
        return
    node = nodes[os.getpid() % len(nodes)]
    try:
        ray.get(warm_up.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
                .remote(cpus), timeout=WARM_UP_TIMEOUT)
    except (ray.exceptions.RayError, DigitLabError):
        return  # a cold start is slower, not wrong
    _last_node[:] = [node]


def drive(run: Run, alongside: int) -> None:
    """Train `run` on the cluster to its end, whatever happens; the caller holds its claim."""
    cpus = cluster.cpus_per_run()
    run.write_status(state=RunState.PREPARING, started_at=time.time(), alongside=alongside,
                     executed_on=None, message=f"waiting for the cluster to have {cpus:g} CPUs free")
    forwarder = None
    try:
        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        signals = RunSignals.options(scheduling_strategy=here).remote()  # lives and dies with this driver
        stream = train_run.options(num_cpus=cpus, scheduling_strategy=where_to_train()).remote(
            run.spec.to_dict(), files_to_send(run), signals, nn.__version__, alongside,
            drawings_to_send(run), run_time_limit())
        forwarder = StopForwarder(run, signals, stream)
        forwarder.start()
        for ref in stream:
            forwarder.started.set()
            changes = ray.get(ref)
            if changes and changes[0][0] == "need_data":
                send_data(signals, changes[0][1])
            else:
                apply(run.folder, changes)
    except ray.exceptions.TaskCancelledError:
        _end_without_model(run, forwarder.cancelled if forwarder else "cancelled")
    except ray.exceptions.RayTaskError as e:  # the task raised: ours, or a library's
        cause = e.cause if isinstance(e.cause, Exception) else e
        message = str(cause) if isinstance(cause, DigitLabError) else (
            f"training failed on the cluster: {type(cause).__name__}: {cause}")
        run.end(RunState.FAILED, message)
    except (ray.exceptions.RayError, ConnectionError) as e:  # a node, a worker or the cluster lost
        run.end(RunState.INTERRUPTED, interrupted_message(
            run.checkpoint_epoch(), f"the cluster lost the node training it ({type(e).__name__})"))
    except MirrorError as e:  # a node that writes outside the run's folder trains it no further
        ray.cancel(stream, force=True)
        run.end(RunState.FAILED, f"the run was ended: {e}")
    except (DigitLabError, OSError) as e:
        run.end(RunState.FAILED, f"could not send the run to the cluster: {e}")
    except Exception as e:  # noqa: BLE001 - a run ends with a sentence, and the driver goes on
        run.end(RunState.FAILED, f"the cluster's run could not be followed: {type(e).__name__}: {e}"[:300])
    finally:
        if forwarder is not None:
            forwarder.done.set()
    if run.status().get("ray_node"):
        _last_node[:] = [run.status()["ray_node"]]
    if run.status().get("state") in (RunState.PREPARING, RunState.RUNNING):
        run.end(RunState.FAILED, "the cluster ended the run without a result")


def _end_without_model(run: Run, why: str) -> None:
    if why.startswith("stopped before"):
        run.end(RunState.FAILED, why)
    else:
        run.end(RunState.INTERRUPTED, interrupted_message(run.checkpoint_epoch(), why))


def main(conn, runs_root: str, slots: int, warm: bool = True) -> None:
    """A driver process: connect, then drive each run it is given and can claim (the messages of
    nn.runs.worker.main; "ready" also says how many runs the cluster holds at once)."""
    problem = unreachable(cluster.ray_address())
    if problem is None:
        try:
            slots = connect()
        except (ConnectionError, RuntimeError, ValueError) as e:
            problem = f"could not join the Ray cluster at {cluster.ray_address()}: {e}"
    if problem:
        conn.send(("cannot_start", problem))
        return
    cluster.record_slots(Path(runs_root), slots)
    inbox = messages_until_parent_goes(conn)
    if warm:
        warm_a_node()
    conn.send(("ready", slots))
    serve(conn, inbox, runs_root, slots, drive)
