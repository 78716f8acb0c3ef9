"""How long runs take on this server: a run's estimate (nn.kinds, from timings of every preset
on a 2-core machine) at the pace this server has shown: for that preset's own last runs when it
has any, else for the recent runs of its kind (a Keras network's pace says little of the NumPy
network's; among Keras networks, the convolutional ones and the dense ones each lean towards
their own), else for the recent runs of every kind, and before any run at all, for how long a
training process's warm-up took here against the reference machine (the same machine ran 2-3
times slower on one day than on another: bench/RESULTS.md).

The Train page's "Training time here" and the queue's promised starts both come from here, so
what a person is told before pressing Train and while waiting is one estimate.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from nn.kinds import registry as kinds
from nn.kinds.keras.plans import Conv
from nn.kinds.kind import Kind
from nn.presets import ModelSource, display_name, plan_of
from nn.runs.run_folder import read_json_cached, write_json
from nn.runs.store import Run
from nn.training_config import TRAIN_IMAGES, TrainConfig

START_SECONDS = 3.0  # a run's start-up on top of its training time, for start estimates
RECENT_RUNS = 8  # the finished runs of a kind whose real durations set its pace
OWN_RUNS = 3  # a preset's last finished runs that set its own pace
PACE_LIMITS = (0.2, 10.0)
PACE_AFTER = 0.2  # a training run tells its pace once this share of its batches is done


def source_key(source: ModelSource) -> str:
    """What a pace is kept for: a preset, 'custom dense' or 'custom conv', or 'fine-tuned'."""
    return "fine-tuned" if isinstance(source, Path) else display_name(source)


def family_key(source: ModelSource) -> str:
    """The runs whose pace says most of one without runs of its own: 'keras conv' or 'keras
    dense' (one machine trained dense networks 1.4 times slower against the table than
    convolutional ones, bench/RESULTS.md), else the kind's name."""
    kind = kinds.of_source(source).name
    if kind != "keras" or isinstance(source, Path):
        return kind
    convolutional = any(isinstance(layer, Conv) for layer in plan_of(source))
    return f"{kind} {'conv' if convolutional else 'dense'}"


# What each preset's run took in a training process against nn.kinds' estimate on the reference
# machine (2 cores; `python -m bench.estimates`, the geometric mean of two runs, 2026-12-03), and
# how long a training process's warm-up (nn.runs.worker.warm_up) took there in the same hour: a
# new server's estimates are these, at the pace its own warm-up shows.
MEASURED: dict[str, float] = {
    "cnn-fast": 0.73, "dense-128": 0.65, "dense-128x2": 0.68, "sigmoid-10": 0.49, "cnn-1": 1.04,
    "cnn-2": 0.68, "cnn-best": 0.70, "cnn-wide": 0.82, "dense-best": 0.66, "numpy-mlp": 0.38,
    "random-forest": 0.74,
}
WARM_UP_SECONDS = 0.632
# The warm-up also times a tiny fit of each other kind (nn.runs.worker.WARM_UP_FITS): machines
# differ by kind (one ran Keras 1.7 and the forest 3.4 times slower than the reference machine).
# What those fits take where the kind trains at its MEASURED pace: each fit's time on the machine
# of 2026-12-04 divided by the pace its kind showed there in bench.estimates, the geometric mean
# of two runs (bench/RESULTS.md).
KIND_WARM_UP_SECONDS = {"keras": WARM_UP_SECONDS, "forest": 0.327, "numpy": 0.117}
WARM_UP_FILE = ".warm-up.json"  # in the runs folder: the last warm-up timed on an idle machine


def write_warm_up(runs_root: Path, seconds: float | dict[str, float]) -> None:
    """The warm-up's fits, timed: Keras' alone (`seconds`), or each kind's."""
    timed = seconds if isinstance(seconds, dict) else {"keras": seconds}
    Path(runs_root).mkdir(parents=True, exist_ok=True)
    write_json(Path(runs_root) / WARM_UP_FILE,
               {"seconds": timed.get("keras"), "kinds": timed, "at": time.time()})


def warm_up_paces(runs_root: Path | None) -> dict[str, float]:
    """How much slower than the reference machine this one trains each kind now, from the last
    warm-up timed here; a kind it did not time goes at Keras' pace; 1.0 before any warm-up."""
    timed = read_json_cached(Path(runs_root) / WARM_UP_FILE, {}) if runs_root else {}  # every look
    timed = timed if isinstance(timed, dict) else {}
    by_kind = timed.get("kinds")
    by_kind = by_kind if isinstance(by_kind, dict) else {"keras": timed.get("seconds")}  # an older file
    paces = {}
    for kind, reference in KIND_WARM_UP_SECONDS.items():
        seconds = by_kind.get(kind)
        if _positive(seconds) and reference > 0:
            paces[kind] = _clipped([seconds / reference])
    keras = paces.get("keras", 1.0)
    return {kind: paces.get(kind, keras) for kind in KIND_WARM_UP_SECONDS}


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def warm_up_pace(runs_root: Path | None, kind: str = "keras") -> float:
    return warm_up_paces(runs_root).get(kind, 1.0)


def estimate(kind: Kind, source: ModelSource, config: TrainConfig, pace: float = 1.0,
             images: int = TRAIN_IMAGES) -> float:
    """Seconds from a run's start to its end, at `pace`, on a data set of `images` to train on."""
    measured = MEASURED.get(source_key(source), 1.0)
    return pace * measured * (START_SECONDS + kind.estimate_seconds(source, config, images))


def estimated_seconds(run: Run, pace: float = 1.0) -> float:
    """How long `run` should take from its start to its end, at this server's recent `pace`."""
    return estimate(run.kind, run.spec.source, run.spec.config, pace, run.spec.images or TRAIN_IMAGES)


@dataclass(frozen=True)
class Pace:
    """How much longer than estimated a run takes on this server, per run training at once: for
    each preset (or custom kind) from its own last runs, for each kind from its recent runs, and
    `overall` before any run of its kind."""

    overall: float = 1.0
    by_source: dict[str, float] = field(default_factory=dict)
    by_kind: dict[str, float] = field(default_factory=dict)
    warm_up_by_kind: dict[str, float] = field(default_factory=dict)  # before any run here
    by_family: dict[str, float] = field(default_factory=dict)
    of_any_kind: float | None = None  # the recent runs of every kind, once there are any

    def of(self, source: ModelSource) -> float:
        own = self.by_source.get(source_key(source))
        if own is not None:
            return own
        kind = kinds.of_source(source).name
        of_kind = self.by_kind.get(kind)
        if of_kind is None:  # real runs of other kinds say more than the warm-up's tiny fit of this one
            of_kind = self.of_any_kind or self.warm_up_by_kind.get(kind, self.overall)
        family = self.by_family.get(family_key(source))
        # A family's first runs are few, its kind's more: halfway between them (geometrically).
        return of_kind if family is None else math.sqrt(family * of_kind)


def _clipped(ratios: list[float]) -> float:
    return min(max(statistics.median(ratios), PACE_LIMITS[0]), PACE_LIMITS[1])


def _ratio(run: Run, status: dict) -> float:
    """What a finished run took against its estimate, as if it had trained alone."""
    return (status["ended_at"] - status["started_at"]) / status.get("alongside", 1) / estimated_seconds(run)


def recent_pace(finished: list[tuple[Run, dict]], training: list[tuple[Run, dict]],
                before_any: float | dict[str, float] = 1.0) -> Pace:
    """This server's pace now, from the last finished runs and those training far enough along to
    tell. Trainings share the cores with one another (two at once each take about twice as long
    on two cores), and under a class's load with the server and the pages too. `before_any` with
    no history: one pace, or each kind's (warm_up_paces)."""
    warm = before_any if isinstance(before_any, dict) else {}
    overall = warm.get("keras", 1.0) if isinstance(before_any, dict) else before_any
    by_end = sorted(finished, key=lambda rs: rs[1]["ended_at"])
    of_any: list[float] = []  # every kind's
    of_kind: dict[str, list[float]] = {}
    of_family: dict[str, list[float]] = {}
    own: dict[str, list[float]] = {}
    for run, status in reversed(by_end):  # the newest first
        ratio = _ratio(run, status)
        if len(of_any) < RECENT_RUNS:
            of_any.append(ratio)
        for ratios, key, most in ((of_kind, run.kind.name, RECENT_RUNS),
                                  (of_family, family_key(run.spec.source), RECENT_RUNS),
                                  (own, source_key(run.spec.source), OWN_RUNS)):
            recent = ratios.setdefault(key, [])
            if len(recent) < most:
                recent.append(ratio)
    for run, status in training:
        if fraction_done(run.counters()) >= PACE_AFTER and status.get("started_at"):
            taken = time.time() - status["started_at"]
            ratio = (taken + remaining_seconds(run, status)) / estimated_seconds(run) / len(training)
            of_any.append(ratio)
            of_kind.setdefault(run.kind.name, []).append(ratio)
            of_family.setdefault(family_key(run.spec.source), []).append(ratio)
    return Pace(overall, {key: _clipped(r) for key, r in own.items()},
                {key: _clipped(r) for key, r in of_kind.items()}, warm,
                {key: _clipped(r) for key, r in of_family.items()}, _clipped(of_any) if of_any else None)


def fraction_done(counters: dict) -> float:
    done = counters.get("epoch", 0) * counters.get("batches_per_epoch", 0) + counters.get("batch", 0)
    total = counters.get("epochs", 0) * counters.get("batches_per_epoch", 0)
    return done / total if total else 0.0


def remaining_seconds(run: Run, status: dict, pace: float = 1.0) -> float:
    counters = run.counters()
    done = counters.get("epoch", 0) * counters.get("batches_per_epoch", 0) + counters.get("batch", 0)
    total = counters.get("epochs", 0) * counters.get("batches_per_epoch", 0)
    if done and total and counters.get("elapsed"):
        return counters["elapsed"] / done * (total - done)
    started = status.get("started_at") or time.time()
    return max(0.0, estimated_seconds(run, pace) - (time.time() - started))
