"""Where runs execute: in this machine's worker processes (nn.runs.worker), or on a Ray cluster
when DIGITLAB_RAY_ADDRESS names one (nn.runs.ray_driver, nn.runs.remote).

Nothing here imports Ray: without the variable, Ray is neither imported nor started. With it, the
app's server still never connects to the cluster itself (a Ray driver that loses its cluster for
60 s exits, and must not take the web server with it): the scheduler starts driver processes in
place of workers (nn.runs.scheduler.run_trainings), and they connect.
"""

from __future__ import annotations

import json
from pathlib import Path

from nn import settings
from nn.errors import DigitLabError

SLOTS_FILE = "cluster.json"  # in the runs folder's .slots: how many runs the cluster holds at once


class ClusterError(DigitLabError):
    """The cluster cannot train a run: a wrong setting, a node of another version."""


def ray_address() -> str | None:
    return settings.value("DIGITLAB_RAY_ADDRESS", ClusterError)


def cpus_per_run() -> float:
    return settings.value("DIGITLAB_RAY_CPUS_PER_RUN", ClusterError)


def slots_for(cluster_cpus: float) -> int:
    """How many runs a cluster of `cluster_cpus` CPUs trains at once."""
    return max(1, int(cluster_cpus // cpus_per_run()))


def record_slots(runs_root: Path, slots: int) -> None:
    """What a driver read from the cluster, for every process that shows the queue."""
    folder = Path(runs_root) / ".slots"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SLOTS_FILE).write_text(json.dumps({"slots": slots}))


def recorded_slots(runs_root: Path) -> int | None:
    try:
        return int(json.loads((Path(runs_root) / ".slots" / SLOTS_FILE).read_text())["slots"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
