"""A real Ray cluster on this machine's loopback, for the Ray tests and the benchmark: a head with no
CPUs of its own (runs go to the other nodes, as on a class's cluster) and worker nodes of a few CPUs
each, every node its own `ray start --block` (harness.ray_node) in its own process group, stopped by
its process id.

Token authentication is on, as the README tells teachers to set it up: `env()` holds what a Digit
Lab process needs to reach the cluster (its address and token).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.server import free_port, process_tree, signals_held, tail

REPO = Path(__file__).resolve().parents[1]
OBJECT_STORE_BYTES = 100_000_000  # Ray's default is 30% of the machine's memory, per node
START_TIMEOUT = 60


@dataclass
class Node:
    process: subprocess.Popen
    log: Path

    @property
    def raylet_pid(self) -> int | None:
        for pid in process_tree(self.process.pid):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "raylet":
                    return pid
            except OSError:
                continue
        return None


@dataclass
class Cluster:
    folder: Path
    port: int
    token: str
    ray_temp: Path
    head: Node | None = None
    workers: list[Node] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict:
        """What a process of Digit Lab needs to train on this cluster."""
        return {**self._ray_env(), "DIGITLAB_RAY_ADDRESS": self.address,
                "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # keeps 127.0.0.1 (see harness.ray_node)

    def _ray_env(self) -> dict:
        return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token, "PYTHONPATH": str(REPO)}


def _node_env(cluster: Cluster, extra: dict | None = None) -> dict:
    env = {**os.environ, **cluster._ray_env(), **(extra or {})}
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)  # harness.ray_node sets it for the node's processes
    return env


def _start_node(cluster: Cluster, name: str, args: list[str], env: dict | None = None) -> Node:
    log = cluster.folder / f"{name}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.ray_node", "start", "--block", "--node-ip-address=127.0.0.1",
             "--disable-usage-stats", f"--object-store-memory={OBJECT_STORE_BYTES}", *args],
            cwd=REPO, env=_node_env(cluster, env), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    node = Node(process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while "will now block forever" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_node(node)
            raise RuntimeError(f"ray node {name} did not start:\n{tail(log)}")
        time.sleep(0.2)
    return node


def start_cluster(folder: Path, worker_nodes: int = 2, cpus: int = 2) -> Cluster:
    """A head and `worker_nodes` nodes of `cpus` CPUs each; stop_cluster() stops them whatever
    happened."""
    folder.mkdir(parents=True, exist_ok=True)
    # Ray's own files: a short path, since its sockets' paths must fit in 107 bytes
    cluster = Cluster(folder, free_port(), secrets.token_hex(16), Path(tempfile.mkdtemp(prefix="dl-ray-")))
    try:
        cluster.head = _start_node(cluster, "head", [
            "--head", f"--port={cluster.port}", "--num-cpus=0", "--include-dashboard=false",
            f"--ray-client-server-port={free_port()}", f"--temp-dir={cluster.ray_temp}"])
        for _ in range(worker_nodes):
            add_node(cluster, cpus)
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def add_node(cluster: Cluster, cpus: int = 2, env: dict | None = None) -> Node:
    """A worker node of `cpus` CPUs; `env`: what differs in its environment."""
    node = _start_node(cluster, f"node-{len(cluster.workers) + 1}",
                       [f"--address={cluster.address}", f"--num-cpus={cpus}"], env)
    cluster.workers.append(node)
    return node


def stop_node(node: Node, grace: float = 5.0) -> None:
    """Its whole process group: TERM, then KILL what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(node.process.pid, sig)
        except ProcessLookupError:
            break
        try:
            node.process.wait(wait)
            os.killpg(node.process.pid, signal.SIGKILL)  # the rest of its group
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            pass
        break


def stop_cluster(cluster: Cluster) -> None:
    with signals_held():
        for node in [*cluster.workers, *([cluster.head] if cluster.head else [])]:
            stop_node(node)
    shutil.rmtree(cluster.ray_temp, ignore_errors=True)
