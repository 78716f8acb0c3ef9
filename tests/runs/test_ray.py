"""Runs on a real Ray cluster: two worker nodes of 2 CPUs on this machine's loopback (and a head of
none, as on the server of a class), started once for this module and stopped whatever happens.
Through the command line and through the queue: live per-batch progress, Stop, a node lost
mid-run, a run waiting while the cluster is full, a node of another version."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import nn
from harness.ray_cluster import add_node, start_cluster, stop_cluster, stop_node
from harness.server import process_tree
from nn.runs import cluster as cluster_settings
from nn.runs.run_folder import BATCHES_FILE, read_lines
from nn.runs.scheduler import Scheduler
from nn.runs.store import RunState, RunStore
from nn.storage.locks import Lock
from nn.storage.own_datasets import DatasetStore
from nn.storage.paths import runs_dir
from nn.storage.workspaces import LOCAL_WORKSPACE
from nn.training_config import TrainConfig
from tests.runs.test_runs import ended, wait_for

REPO = Path(__file__).resolve().parents[2]
# A cluster to start, and about 100 s of training for the module.
pytestmark = [pytest.mark.slow, pytest.mark.serial]


@pytest.fixture
def on_cluster(ray_cluster, monkeypatch, tmp_path):
    """This test's runs go to the cluster (the variables every process of Digit Lab reads)."""
    for name, value in ray_cluster.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "runs"))
    return ray_cluster


@pytest.fixture
def scheduler(on_cluster):
    s = Scheduler(runs_dir(), keep_warm=False, tick=0.2).start()
    yield s
    s.close()


def test_the_command_line_trains_on_the_cluster_and_records_where(on_cluster):
    env = {**os.environ}
    out = subprocess.run([sys.executable, "-m", "nn", "train", "--preset", "dense-128", "--epochs", "2",
                          "--subset", "3000", "--json"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["test_accuracy"] > 0.8 and Path(result["path"]).exists()
    listed = subprocess.run([sys.executable, "-m", "nn", "runs", "--json"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    row = json.loads(listed.stdout.strip().splitlines()[0])
    assert row["state"] == "finished" and "Ray node" in row["executed_on"], row
    # How many runs the cluster holds at once: 4 CPUs on its worker nodes, 2 per run.
    assert cluster_settings.recorded_slots(runs_dir()) == 2


def test_progress_arrives_batch_by_batch_and_stop_keeps_the_weights(scheduler):
    store = RunStore(LOCAL_WORKSPACE)
    run = store.submit("dense-128", "mnist", TrainConfig(epochs=50, subset=5000, batch_size=10)).run
    seen = []
    wait_for(run, lambda s: seen.append(len(read_lines(run.folder / BATCHES_FILE))) or seen[-1] > 20,
             timeout=180, what="the first batches")
    later = wait_for(run, lambda s: len(read_lines(run.folder / BATCHES_FILE)) > seen[-1] + 20,
                     what="more batches")
    assert later["state"] == "running" and "Ray node" in later["executed_on"]
    assert store.stop(run.id) == "stopping"
    status = wait_for(run, ended, timeout=60)
    assert status["state"] == "stopped" and "stopped at epoch" in status["message"], status
    assert run.counters()["epoch"] < 50 and run.model_path.exists() and status["test_accuracy"]
    steps = [row["step"] for row in read_lines(run.folder / BATCHES_FILE)]
    assert steps == list(range(1, len(steps) + 1))  # every batch, once, in order


def test_a_run_waits_while_the_cluster_is_full(on_cluster, monkeypatch):
    monkeypatch.setenv("DIGITLAB_MAX_TRAININGS", "3")  # more drivers than the cluster holds runs
    s = Scheduler(runs_dir(), keep_warm=False, tick=0.2).start()
    try:
        store = RunStore(LOCAL_WORKSPACE)
        runs = [store.submit("dense-128", "mnist", TrainConfig(epochs=10, subset=30_000)).run
                for _ in range(3)]

        def two_train_and_one_waits(_) -> bool:
            states = [r.status() for r in runs]
            training = [s for s in states if s["state"] == RunState.RUNNING]
            if len(training) == 2 and sum("waiting for the cluster" in s["message"] for s in states) == 1:
                nodes.extend(s["executed_on"] for s in training)
                return True
            return False

        nodes = []
        wait_for(runs[0], two_train_and_one_waits, timeout=180,
                 what="two runs training and the third waiting for the cluster")
        assert nodes[0] != nodes[1]  # a node's 2 CPUs are one run's: never lent to another
        for run in runs:
            assert wait_for(run, ended, timeout=300)["state"] == "finished", run.status()
    finally:
        s.close()


def test_a_node_of_another_version_is_refused_with_both_versions(on_cluster, monkeypatch):
    """This test's process is the driver (as a driver process is): its Digit Lab says it is
    another version than the nodes'."""
    import ray

    from nn.runs import ray_driver

    run = RunStore(LOCAL_WORKSPACE).submit("sigmoid-10", "mnist", TrainConfig(epochs=1, subset=1000)).run
    claim = Lock(run.lock_path)
    assert claim.acquire()
    nodes_version = nn.__version__
    ray_driver.connect()
    try:
        monkeypatch.setattr(nn, "__version__", "1999.1.0")
        ray_driver.drive(run, alongside=1)
    finally:
        ray.shutdown()
        claim.release()
    status = run.status()
    assert status["state"] == "failed", status
    assert status["message"] == (f"this cluster node runs Digit Lab {nodes_version} and the server "
                                 "runs 1999.1.0: install the same version on every node")


def node_training(cluster):
    """The worker node whose processes include the run's task."""
    for node in cluster.workers:
        for pid in process_tree(node.process.pid):
            try:
                if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::train_run"):
                    return node
            except OSError:
                continue
    return None


def test_a_lost_node_interrupts_the_run_and_it_resumes_on_another(scheduler, on_cluster):
    store = RunStore(LOCAL_WORKSPACE)
    run = store.submit("dense-128", "mnist", TrainConfig(epochs=8, subset=20_000, batch_size=32)).run
    first = wait_for(run, lambda s: run.checkpoint_epoch() >= 2, timeout=180, what="two checkpoints")
    node = node_training(on_cluster)
    assert node is not None
    os.kill(node.raylet_pid, signal.SIGKILL)
    status = wait_for(run, ended, timeout=120)
    kept = run.checkpoint_epoch()
    assert status["state"] == "interrupted" and kept >= 2, status
    assert "cluster lost the node" in status["message"]
    on_cluster.workers.remove(node)
    try:
        store.resume(run.id)
        status = wait_for(run, ended, timeout=240)
        assert status["state"] == "finished", status
        assert status["executed_on"] != first["executed_on"]  # another node
        assert [row["epoch"] for row in run.history()] == list(range(1, 9))
        assert status["resumed"] == 1 and run.model_path.exists()
    finally:
        stop_node(node)
        add_node(on_cluster)  # the shared cluster has two worker nodes again


def test_a_node_that_cannot_fetch_the_data_gets_the_servers_copy(tmp_path, monkeypatch):
    """A cluster of its own: one node with an empty data cache and no way to fetch (no internet,
    no npm on its PATH), and none of the server's files: an own set comes with the run."""
    from nn.own_data import name_of
    from tests.storage.test_own_datasets import filled

    cluster = start_cluster(tmp_path / "ray", worker_nodes=0)
    try:
        node_cache = tmp_path / "node-cache"
        no_npm = str(Path(sys.executable).parent)
        add_node(cluster, env={"DIGITLAB_DATA_DIR": str(node_cache), "PATH": no_npm,
                               "DIGITLAB_DRAWINGS_DIR": str(tmp_path / "node-drawings")})
        for name, value in cluster.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "runs"))
        monkeypatch.setenv("DIGITLAB_DRAWINGS_DIR", str(tmp_path / "drawings"))
        shapes = filled(DatasetStore(tmp_path / "drawings"), {"Ona": 6, "Jonas": 6})
        s = Scheduler(runs_dir(), keep_warm=False, tick=0.2).start()
        try:
            config = TrainConfig(epochs=1, subset=1000)
            run = RunStore(LOCAL_WORKSPACE).submit("sigmoid-10", "mnist", config).run
            status = wait_for(run, ended, timeout=180)
            own = RunStore(LOCAL_WORKSPACE).submit(
                "dense-128", name_of(shapes), TrainConfig(epochs=5, batch_size=8, validation_split=0.0)).run
            own_status = wait_for(own, ended, timeout=180)
        finally:
            s.close()
    finally:
        stop_cluster(cluster)
    assert status["state"] == "finished", status
    assert (node_cache / "mnist.npz").exists()  # kept, checked, for the node's next runs
    assert own_status["state"] == "finished", own_status
    assert "Ray node" in own_status["executed_on"] and "people the model never saw" in own_status["tested_on"]


def a_node_that_writes_outside_the_run(spec, files, signals, server_version, alongside, drawings=None,
                                       time_limit=None):
    """A cluster node's task gone bad: its changes name files outside the run's folder."""
    yield [("replace", "progress.json", b"{}")]
    yield [("replace", "", b"x")]  # the run folder itself: a temp file in its parent, then a crash
    yield [("replace", "checkpoint.json", b'{"epoch": 1, "file": "../../.teacher-token"}')]


def test_a_node_that_writes_outside_the_run_fails_it_with_a_sentence(on_cluster, monkeypatch):
    """This test's process is the driver; the node's task is crafted (the review's attack)."""
    import ray

    from nn.runs import ray_driver

    run = RunStore(LOCAL_WORKSPACE).submit("sigmoid-10", "mnist", TrainConfig(epochs=1, subset=1000)).run
    secret = runs_dir() / ".teacher-token"
    secret.write_text("the teacher's secret")
    claim = Lock(run.lock_path)
    assert claim.acquire()
    ray_driver.connect()
    try:
        crafted = ray.remote(max_retries=0)(a_node_that_writes_outside_the_run)
        monkeypatch.setattr(ray_driver, "train_run", crafted)
        ray_driver.drive(run, alongside=1)  # returns: the driver goes on with its next run
    finally:
        ray.shutdown()
        claim.release()
    status = run.status()
    assert status["state"] == "failed", status
    assert "not one of the run's files" in status["message"], status
    assert secret.read_text() == "the teacher's secret" and run.checkpoint() is None
    assert not list(runs_dir().glob(f".{run.id}*"))  # no temp file left beside the run
