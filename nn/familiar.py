"""Is a drawing like the images a network learned from?

A network must pick one of its ten classes for anything, a scribble too, and it is often "98%
sure" of it. What tells is the drawing's distance, pixel by pixel, to the nearest of the training
images, against the same distance for the data set's test images (which the network never saw
either, and reads well): past what 99 in 100 test images show, the drawing is unlike anything it
learned from, whatever it answers. The distances are the model's own inputs (28x28, scaled to
[0, 1]), so the check holds for every kind of model of the data set.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import numpy as np

from nn.data import Dataset
from nn.storage.files import write_atomic
from nn.storage.paths import inside_cache_dir

USUAL_PERCENTILE = 99  # of the test images' nearest distances: the edge of what is usual
TEST_SAMPLE = 1000  # test images that set it (about 3 s once per data set, then kept on disk)
CHUNK = 10_000  # training images compared at a time: 31 MB of float32, whatever the set's size

_usual: dict[str, float] = {}
_squared: dict[str, np.ndarray] = {}
_guard = threading.Lock()


@dataclass(frozen=True)
class Familiarity:
    distance: float  # from the drawing to the nearest training image
    usual: float  # the nearest distance that 99 in 100 test images stay within
    nearest: int  # that training image's index

    @property
    def unfamiliar(self) -> bool:
        return self.distance > self.usual


def _scaled(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    return x / 255.0 if x.max(initial=0) > 1.0 else x


def nearest(data: Dataset, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance, index) of each image's nearest training image, a chunk of the set at a time."""
    x = _scaled(images)
    squared = _squared_lengths(data)
    best = np.full(len(x), np.inf, dtype=np.float32)
    where = np.zeros(len(x), dtype=np.int64)
    for start in range(0, len(data.x_train), CHUNK):
        rows = data.x_train[start:start + CHUNK].reshape(-1, x.shape[1]).astype(np.float32) / 255.0
        d2 = squared[start:start + len(rows)][None, :] - 2 * (x @ rows.T)
        i = d2.argmin(axis=1)
        d2_min = d2[np.arange(len(x)), i]
        better = d2_min < best
        best[better], where[better] = d2_min[better], start + i[better]
    distance = np.sqrt(np.maximum(best + (x * x).sum(axis=1), 0))
    return distance, where


def _squared_lengths(data: Dataset) -> np.ndarray:
    with _guard:
        if data.name not in _squared:
            flat = data.x_train.reshape(len(data.x_train), -1)
            _squared[data.name] = np.concatenate([
                (flat[i:i + CHUNK].astype(np.float32) / 255.0) ** 2 @ np.ones(flat.shape[1], np.float32)
                for i in range(0, len(flat), CHUNK)])
        return _squared[data.name]


def usual_distance(data: Dataset) -> float:
    """The USUAL_PERCENTILE of the test images' nearest distances; computed once per data set."""
    key = f"{data.name}-{data.info.sha256.get('x_test', '')[:12]}"
    with _guard:
        if key in _usual:
            return _usual[key]
    path = inside_cache_dir() / f"{key}.usual-distance.json"
    try:
        value = float(json.loads(path.read_text())["distance"])
    except (OSError, ValueError, KeyError, TypeError):
        distances, _ = nearest(data, data.x_test[:TEST_SAMPLE])
        value = float(np.percentile(distances, USUAL_PERCENTILE))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda tmp: tmp.write_text(json.dumps({"distance": value})))
    with _guard:
        _usual[key] = value
    return value


def familiarity(data: Dataset, image28: np.ndarray) -> Familiarity:
    """How far a drawing (28x28, as the network reads it) is from the nearest training image."""
    distance, index = nearest(data, np.asarray(image28)[np.newaxis])
    return Familiarity(float(distance[0]), usual_distance(data), int(index[0]))
