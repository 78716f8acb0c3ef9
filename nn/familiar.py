"""Is a drawing like the images a network learned from?

A network must pick one of its ten classes for anything, a scribble too, and it is often "98%
sure" of it. What tells is the drawing's distance, pixel by pixel, to the nearest of the training
images, against the same distance for the data set's test images (which the network never saw
either, and reads well): past what 99 in 100 test images show, the drawing is unlike anything it
learned from, whatever it answers. The distances are the model's own inputs (28x28, scaled to
[0, 1]), so the check holds for every kind of model of the data set.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

import numpy as np

from nn.data import Dataset
from nn.storage.files import write_atomic
from nn.storage.paths import inside_cache_dir

USUAL_PERCENTILE = 99  # of the test images' nearest distances: the edge of what is usual
TEST_SAMPLE = 1000  # test images that set it (once per data set, then kept on disk)
QUERY_CHUNK = 256  # images searched at a time: their distances to 60,000 images are 61 MB

_usual: dict[str, float] = {}
# Each data set's training images as the search reads them (float32 in [0, 1], and their squared
# lengths), made once per set's images: converting 60,000 images on every drawing cost 10 times
# the search itself. Kept by name, for the set's fixed images (a verified set's SHA-256) or for
# these very images (an own set, read again once it has more drawings, replaces its entry).
_rows: dict[str, tuple[object, np.ndarray, np.ndarray]] = {}
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
    """(distance, index) of each image's nearest training image."""
    x = _scaled(images)
    rows, squared = _training_rows(data)
    distance = np.empty(len(x), dtype=np.float32)
    where = np.empty(len(x), dtype=np.int64)
    for start in range(0, len(x), QUERY_CHUNK):
        part = x[start:start + QUERY_CHUNK]
        d2 = squared[None, :] - 2 * (part @ rows.T)  # |a - b|^2 less |a|^2, the same for every b
        i = d2.argmin(axis=1)
        where[start:start + len(part)] = i
        distance[start:start + len(part)] = d2[np.arange(len(part)), i] + (part * part).sum(axis=1)
    return np.sqrt(np.maximum(distance, 0)), where


def _training_rows(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    images = data.info.sha256.get("x_train") or data.x_train
    with _guard:
        kept = _rows.get(data.name)
        if kept is None or not (kept[0] == images if isinstance(images, str) else kept[0] is images):
            rows = _scaled(data.x_train.reshape(len(data.x_train), -1))
            kept = _rows[data.name] = images, rows, np.einsum("ij,ij->i", rows, rows)
        return kept[1], kept[2]


def usual_distance(data: Dataset) -> float:
    """The USUAL_PERCENTILE of the test images' nearest distances; computed once per data set."""
    # A verified set's test images never change; an own set's do, as people add drawings.
    tested = (data.info.sha256.get("x_test")
              or hashlib.sha256(np.ascontiguousarray(data.x_test).tobytes()).hexdigest())
    key = f"{data.name.replace(':', '-')}-{tested[:12]}"
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


def prepare(data: Dataset) -> None:
    """Make the first drawing's search as quick as the others (the server's warm-up calls it)."""
    _training_rows(data)
    usual_distance(data)
