"""Training-time estimates against the real time, for every preset: what the Train page says
before Train is pressed ("Training time here") and what the run then took, and the ETA while it
trains (never negative, and how far off a quarter of the way in).

    .venv/bin/python -m bench.estimates [--only cnn-fast dense-128] [--cap 150]

The runs go through the server's own scheduler and warm workers (nn.runs.scheduler.Scheduler, as
`./run.sh` starts it, without the pages), one at a time, in one fresh runs folder: the first
preset is estimated as on a new server (the timings table at the pace its training process's
warm-up showed), each later one at the pace this server has shown so far, and cnn-fast's second
run from its own first. Each preset trains with its defaults on MNIST, except that its epochs
are cut so that its static estimate stays under `--cap` seconds (cnn-wide's 30 epochs and
dense-best's 20 would take most of an hour here); the estimate is per epoch, so this tests it as
well. Target: within ±30% of the real time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path
from unittest import mock

from bench.queue import warm_scheduler
from nn.kinds import registry as kinds
from nn.presets import PRESETS
from nn.runs import pace, run_queue
from nn.runs.run_folder import ProgressReader, read_json
from nn.runs.store import RunState, RunStore
from nn.storage.workspaces import Workspace
from nn.training_config import TrainConfig

TOLERANCE = 0.30
ORDER = ["cnn-fast", *[name for name in PRESETS if name != "cnn-fast"], "cnn-fast"]  # cnn-fast twice


def config_for(name: str, cap: float) -> TrainConfig:
    """The preset's defaults, with at most as many epochs as fit in `cap` seconds of estimate."""
    preset = PRESETS[name]
    config = TrainConfig.for_preset(preset, seed=1)
    kind = kinds.named(preset.kind)
    if preset.kind == "keras":
        per_epoch = pace.estimate(kind, name, TrainConfig.for_preset(preset, seed=1, epochs=1))
        epochs = max(1, min(preset.epochs, math.floor(cap / per_epoch)))
        config = TrainConfig.for_preset(preset, seed=1, epochs=epochs)
    return config


def follow(run, every: float = 0.25) -> dict:
    """Until the run ends: the lowest ETA shown, and the ETA a quarter of the way through."""
    reader, lowest, quarter = ProgressReader(run.folder), math.inf, None
    while run.state.active:
        p = reader.read()
        if p.eta is not None:
            lowest = min(lowest, p.eta)
            if quarter is None and p.fraction >= 0.25:
                quarter = (time.time(), p.eta)
        time.sleep(every)
    return {"lowest": lowest, "quarter": quarter}


def measure_one(scheduler, root: Path, name: str, cap: float, i: int) -> dict:
    config = config_for(name, cap)
    kind = kinds.named(PRESETS[name].kind)
    view = run_queue.scan(root / "runs", scheduler.slots)
    told = view.expected_seconds(kind, name, config)
    static = pace.estimate(kind, name, config)
    run = RunStore(Workspace(f"p{i}")).submit(name, "mnist", config).run
    scheduler.wake()
    eta = follow(run)
    status = run.status()
    assert status["state"] == RunState.FINISHED, status
    real = status["ended_at"] - status["started_at"]
    quarter_off = None
    if eta["quarter"]:
        at, left = eta["quarter"]
        quarter_off = left / max(status["ended_at"] - at, 1e-9) - 1  # the end: the test set too
    return {"preset": name, "epochs": config.epochs, "told, s": round(told, 1), "real, s": round(real, 1),
            "told / real": round(told / real, 2), "static table / real": round(static / real, 2),
            "submit to result, s": round(status["ended_at"] - status["queued_at"], 1),
            "lowest ETA, s": round(eta["lowest"], 1) if math.isfinite(eta["lowest"]) else None,
            "ETA at 25%: off by": None if quarter_off is None else f"{quarter_off:+.0%}",
            "within ±30%": abs(told / real - 1) <= TOLERANCE}


def measure(names: list[str], cap: float) -> tuple[list[dict], dict[str, float]]:
    """Each preset's row, and how long the training process's warm-up fits took, by kind
    (pace.WARM_UP_FILE)."""
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {
            "DIGITLAB_MODELS_DIR": f"{tmp}/models", "DIGITLAB_RUNS_DIR": f"{tmp}/runs"}):
        root = Path(tmp)
        scheduler = warm_scheduler(root, 1)
        warmed = read_json(root / "runs" / pace.WARM_UP_FILE, {}).get("kinds") or {}
        try:
            return [measure_one(scheduler, root, name, cap, i) for i, name in enumerate(names)], warmed
        finally:
            scheduler.close()


def implied_warm_ups(rows: list[dict], warmed: dict[str, float]) -> dict[str, float]:
    """What each kind's warm-up fit would take where the kind trains at its MEASURED pace: its
    time here over the pace its first run showed here (the real time against the table's)."""
    implied, seen = dict(pace.KIND_WARM_UP_SECONDS), set()
    for row in rows:
        kind = PRESETS[row["preset"]].kind
        if kind != "keras" and kind in warmed and kind not in seen:
            seen.add(kind)
            implied[kind] = round(warmed[kind] * row["static table / real"], 3)
    return implied


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(PRESETS), help="these presets, in this order")
    parser.add_argument("--cap", type=float, default=150.0, help="seconds of estimate per preset at most")
    args = parser.parse_args(argv)
    rows, warmed = measure(args.only or ORDER, args.cap)
    for row in rows:
        print(json.dumps(row))
    met = sum(row["within ±30%"] for row in rows)
    print(f"{met} of {len(rows)} within ±{TOLERANCE:.0%}")
    first = {}  # each preset's first run: what nn.runs.pace.MEASURED should say on this machine
    for row in rows:
        was = pace.MEASURED.get(row["preset"], 1.0)
        first.setdefault(row["preset"], round(was / row["static table / real"], 2))
    print("MEASURED =", json.dumps(first))
    print("warm-up fits here, s:", json.dumps({k: round(v, 3) for k, v in warmed.items()}))
    print("WARM_UP_SECONDS =", round(warmed.get("keras", 0), 3), f"(was {pace.WARM_UP_SECONDS})")
    print("KIND_WARM_UP_SECONDS =", json.dumps(implied_warm_ups(rows, warmed)),
          f"(was {json.dumps(pace.KIND_WARM_UP_SECONDS)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
