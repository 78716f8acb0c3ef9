"""Choosing where runs execute (nn.runs.cluster), without a cluster: Ray stays out of every
process unless DIGITLAB_RAY_ADDRESS is set, and the settings are checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nn.runs import cluster, run_queue
from nn.runs.scheduler import Scheduler


def test_the_server_and_the_command_line_never_import_ray(tmp_path):
    """Only driver processes do, and only with DIGITLAB_RAY_ADDRESS (nn.runs.scheduler.run_trainings)."""
    script = ("import sys, server, nn.cli, nn.runs.run_queue, nn.runs.worker, ui.runs\n"
              "from nn.runs.scheduler import Scheduler\n"
              "Scheduler(sys.argv[1], slots=1, keep_warm=True).start().close()\n"
              "print('ray' in sys.modules)")
    env = {"PATH": "/usr/bin:/bin", "DIGITLAB_RUNS_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                         env=env, timeout=120, cwd=str(Path(__file__).resolve().parents[2]))
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr[-2000:]


def test_the_cpus_per_run_and_the_slots_a_cluster_holds(monkeypatch, tmp_path):
    assert cluster.cpus_per_run() == 2 and cluster.slots_for(8) == 4 and cluster.slots_for(1) == 1
    monkeypatch.setenv("DIGITLAB_RAY_CPUS_PER_RUN", "0")
    with pytest.raises(cluster.ClusterError, match="RAY_CPUS_PER_RUN must be a number above 0, not '0'"):
        cluster.cpus_per_run()
    monkeypatch.setenv("DIGITLAB_RAY_CPUS_PER_RUN", "4")
    assert cluster.slots_for(16) == 4


def test_with_ray_the_queue_holds_what_the_cluster_holds(monkeypatch, tmp_path):
    monkeypatch.delenv("DIGITLAB_MAX_TRAININGS", raising=False)
    monkeypatch.setenv("DIGITLAB_RAY_ADDRESS", "127.0.0.1:1")
    assert run_queue.max_trainings(tmp_path) == 1  # until a driver has read the cluster
    cluster.record_slots(tmp_path, 6)
    assert run_queue.max_trainings(tmp_path) == 6
    monkeypatch.setenv("DIGITLAB_MAX_TRAININGS", "3")
    assert run_queue.max_trainings(tmp_path) == 3  # still overrides it


def test_a_cluster_that_cannot_be_reached_is_named_in_the_waiting_runs(monkeypatch, tmp_path):
    from harness.server import free_port
    from nn.runs.store import RunStore
    from nn.storage.workspaces import LOCAL_WORKSPACE
    from nn.training_config import TrainConfig
    from tests.runs.test_runs import wait_for

    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("DIGITLAB_RAY_ADDRESS", address)
    monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "runs"))
    scheduler = Scheduler(tmp_path / "runs", keep_warm=False, tick=0.2).start()
    try:
        run = RunStore(LOCAL_WORKSPACE).submit("sigmoid-10", "mnist", TrainConfig(epochs=1, subset=1000)).run
        status = wait_for(run, lambda s: "cannot be reached" in s["message"], timeout=60)
    finally:
        scheduler.close()
    assert status["state"] == "queued"
    assert status["message"].startswith(f"waiting: the Ray cluster at {address} cannot be reached")
