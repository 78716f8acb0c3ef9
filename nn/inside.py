"""Inside the network: every layer's output for a drawing, its nearest training images, and a map.

- `layers(predictor, image)`: the drawing as each layer sees it, from the input to the answer.
- `neighbours(...)`: the training images closest to the drawing in the last hidden layer (the
  space the answer is read from). Their features are computed once per model file and kept on
  disk (`index`), so a query is one matrix product.
- `test_map(...)`: a 2-D map of that space for the first MAP_IMAGES test images (t-SNE, fixed
  seed: the same file gives the same map), kept on disk too; `place` puts a drawing on it.

Model files are identified by their content's hash (nn.storage.cache), so a retrained model never
reuses an old index and two copies of one file share it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from nn.kinds.kind import LayerOutput, Predicting
from nn.storage.cache import prune_disk
from nn.storage.files import write_atomic
from nn.storage.paths import inside_cache_dir

NEIGHBOURS = 8
MAX_FEATURES = 1024  # wider last layers are averaged down to this: an index stays under 125 MB
FEATURE_BATCH_BYTES = 256 * 2**20  # features computed this much at a time, however wide
KEPT_IN_MEMORY = 6  # indexes and maps, the most recently used
KEPT_ON_DISK_BYTES = 2 * 2**30  # the cache folder: the least recently used files go beyond this
MAP_IMAGES = 1500  # dots on the map: enough to see the clusters, few enough for t-SNE in a second
PLACE_FROM = 5  # a drawing lands at the mean position of its nearest dots on the map

_memory: OrderedDict[tuple[str, str], object] = OrderedDict()  # (kind of cache, key) -> value
_building: dict[str, threading.Lock] = {}
_guard = threading.Lock()


@dataclass(frozen=True)
class Step:
    """One layer's output for the drawing, with what the page and the CLI say about it."""

    name: str
    type: str
    values: np.ndarray  # without the batch axis

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.values.shape)

    def summary(self) -> dict:
        return {"name": self.name, "type": self.type, "shape": list(self.shape),
                "mean": round(float(self.values.mean()), 6), "max": round(float(self.values.max()), 6)}


@dataclass(frozen=True)
class Neighbour:
    index: int  # into the data set's training images
    label: int
    distance: float


@dataclass(frozen=True)
class Map:
    """The test images' places on the 2-D map of the model's last hidden layer."""

    xy: np.ndarray  # (n, 2)
    labels: np.ndarray  # (n,) true classes of test images 0..n-1
    answers: np.ndarray  # (n,) the model's answers
    features: np.ndarray  # (n, d): where the map was made from (to place new drawings)

    @property
    def wrong(self) -> np.ndarray:
        return self.labels != self.answers


def layers(predictor: Predicting, image28: np.ndarray) -> list[Step]:
    """The input, then every layer's output for it (raises nn.kinds.kind.NotANetwork)."""
    outputs: list[LayerOutput] = predictor.layer_outputs(image28)
    image = np.asarray(image28, dtype=np.float32).reshape(28, 28)
    return [Step("input", "Input", image), *(Step(o.name, o.type, o.values) for o in outputs)]


def _cached(kind: str, key: str, compute, save, load):
    """From memory, else from disk, else computed once (other callers wait) and kept in both."""
    memo = (kind, key)
    with _guard:
        if memo in _memory:
            _memory.move_to_end(memo)
            return _memory[memo]
        lock = _building.setdefault(f"{kind}/{key}", threading.Lock())
    with lock:
        with _guard:
            value = _memory.get(memo)
        if value is None:
            path = inside_cache_dir() / f"{key}.{kind}.npz"
            try:
                value = load(np.load(path))
                os.utime(path)  # used: the last to go when the folder is pruned
            except (OSError, ValueError, KeyError):
                value = compute()
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, lambda tmp: save(tmp, value))
                prune_disk(path.parent, KEPT_ON_DISK_BYTES, keep=path)
        with _guard:
            _memory[memo] = value
            _memory.move_to_end(memo)
            while len(_memory) > KEPT_IN_MEMORY:
                _memory.popitem(last=False)
    return value


def features(predictor: Predicting, images: np.ndarray) -> np.ndarray:
    """The last hidden layer's features of `images` (scaled to [0, 1]), at most MAX_FEATURES wide
    (wider ones averaged down, see reduce), computed a bounded amount of memory at a time."""
    images = np.asarray(images, dtype=np.float32)
    width = int(predictor.features(images[:1])[0].size)  # one image, to know how many fit
    step = max(1, FEATURE_BATCH_BYTES // (4 * max(width, 1)))
    return np.concatenate([reduce(predictor.features(images[i:i + step]))
                           for i in range(0, max(len(images), 1), step)])[:len(images)]


def reduce(rows: np.ndarray, width: int = MAX_FEATURES) -> np.ndarray:
    """Rows wider than `width` as `width` means of neighbouring features (a flattened wide
    convolution has hundreds of thousands: 60,000 of them would need about 96 GB)."""
    rows = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
    if rows.shape[1] <= width:
        return rows
    group = -(-rows.shape[1] // width)  # ceil: every group but maybe the last has this many
    padded = np.pad(rows, ((0, 0), (0, group * width - rows.shape[1])), constant_values=np.nan)
    return np.nanmean(padded.reshape(len(rows), width, group), axis=2)


@dataclass(frozen=True)
class Index:
    """The features of every training image, and their squared lengths (for distances)."""

    rows: np.ndarray  # (n, d) float32
    squared: np.ndarray  # (n,)

    @classmethod
    def of(cls, rows: np.ndarray) -> Index:
        rows = np.asarray(rows, dtype=np.float32)
        return cls(rows, (rows * rows).sum(axis=1))

    def distances(self, point: np.ndarray) -> np.ndarray:
        """Euclidean distances from `point` to each row (|a|^2 - 2ab + |b|^2)."""
        point = np.asarray(point, dtype=np.float32).reshape(-1)
        return np.sqrt(np.maximum(self.squared - 2 * (self.rows @ point) + point @ point, 0))


def index(predictor: Predicting, key: str, x_train: np.ndarray) -> Index:
    """The training images' features, computed once per model file (kept as float16 on disk:
    60,000 x 128 is 15 MB)."""
    def compute():
        return Index.of(features(predictor, x_train.astype(np.float32) / 255.0).astype(np.float16))

    def save(tmp, value: Index):
        with open(tmp, "wb") as f:
            np.savez(f, features=value.rows.astype(np.float16))

    return _cached("index", f"{key}-{len(x_train)}", compute, save, lambda z: Index.of(z["features"]))


def neighbours(predictor: Predicting, key: str, x_train: np.ndarray, y_train: np.ndarray,
               image28: np.ndarray, k: int = NEIGHBOURS) -> list[Neighbour]:
    """The `k` training images nearest to the drawing in the last hidden layer, nearest first."""
    drawing = reduce(predictor.features(image28.reshape(1, 28, 28)))
    distances = index(predictor, key, x_train).distances(drawing)
    nearest = np.argpartition(distances, k)[:k] if k < len(distances) else np.arange(len(distances))
    nearest = nearest[np.argsort(distances[nearest], kind="stable")]
    return [Neighbour(int(i), int(y_train[i]), float(distances[i])) for i in nearest]


def project(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """A 2-D t-SNE map of the features (after PCA to 30 dimensions), the same for the same input."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    x = features.astype(np.float32)
    dims = min(30, len(x))  # an own set's test part may hold a few drawings
    if x.shape[1] > dims:
        x = PCA(dims, random_state=seed).fit_transform(x)
    perplexity = min(30.0, (len(x) - 1) / 3)
    # sklearn exaggerates the clusters for its first 250 iterations; 100 more spread them out
    return TSNE(2, init="pca", random_state=seed, max_iter=350, perplexity=perplexity).fit_transform(x)


def test_map(predictor: Predicting, key: str, x_test: np.ndarray, y_test: np.ndarray,
             images: int = MAP_IMAGES) -> Map:
    """The map of the first `images` test images, computed once per model file."""
    x, y = x_test[:images], y_test[:images]

    def compute():
        scaled = x.astype(np.float32) / 255.0
        rows = features(predictor, scaled)
        answers = predictor.probabilities(scaled).argmax(axis=1)
        return Map(project(rows).astype(np.float32), y.astype(np.int64), answers.astype(np.int64),
                   rows.astype(np.float16))

    def save(tmp, m: Map):
        with open(tmp, "wb") as f:
            np.savez(f, xy=m.xy, labels=m.labels, answers=m.answers, features=m.features)

    def load(z) -> Map:
        return Map(z["xy"], z["labels"], z["answers"], z["features"])

    return _cached("map", f"{key}-{len(x)}", compute, save, load)


def place(m: Map, features: np.ndarray) -> np.ndarray:
    """Where a drawing with these features lands on the map: among the dots most like it."""
    distances = Index.of(m.features).distances(reduce(np.asarray(features).reshape(1, -1)))
    nearest = np.argsort(distances, kind="stable")[:PLACE_FROM]
    return m.xy[nearest].mean(axis=0)
