"""Files and actions crafted to attack a class's server, in a few lines each, as anyone could:
for the tests that check each is refused (tests/storage/test_untrusted_files.py,
tests/test_class_attacks.py) and the benchmark that times the refusals (bench.attacks)."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

from nn.errors import DigitLabError


def small_forest(n_images: int = 2000):
    from sklearn.ensemble import RandomForestClassifier

    from nn import data

    mnist = data.load("mnist")
    forest = RandomForestClassifier(n_estimators=2, max_depth=6, random_state=0)
    return forest.fit(mnist.x_train[:n_images].reshape(-1, 784), mnist.y_train[:n_images])


def broken_forest(forest, path: Path, break_it) -> Path:
    """A copy of `forest` whose first tree `break_it(tree_)` changed, saved as a .skops file."""
    from nn.kinds import registry as kinds

    bad = copy.deepcopy(forest)
    break_it(bad.estimators_[0].tree_)
    kinds.named("forest").save(bad, path)
    return path


def weights_declared_but_not_written(path: Path, floats: int = 500_000_000) -> Path:
    """A valid .keras archive whose weights file declares `floats` float32s and holds none."""
    import h5py
    import keras

    small = path.with_name("small.keras")
    keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)]).save(small)
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_dataset("layers/dense/vars/0", shape=(floats,), dtype="float32")
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w") as out:
        for name in ("config.json", "metadata.json"):
            out.writestr(name, src.read(name))
        out.writestr("model.weights.h5", weights.getvalue())
    return path


def weights_padded(path: Path, floats: int = 25_000_000) -> Path:
    """A sound small .keras file whose weights file also declares `floats` float32s no layer reads."""
    import h5py
    import keras

    small = path.with_name("small.keras")
    keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)]).save(small)
    with zipfile.ZipFile(small) as src:
        weights = io.BytesIO(src.read("model.weights.h5"))
        with h5py.File(weights, "a") as f:
            f.create_dataset("padding", shape=(floats,), dtype="float32")
        with zipfile.ZipFile(path, "w") as out:
            for name in ("config.json", "metadata.json"):
                out.writestr(name, src.read(name))
            out.writestr("model.weights.h5", weights.getvalue())
    return path


def greedy_network(path: Path) -> Path:
    """A few KB of weights whose one answer needs about 8 GB (a 200x upsampling of 64 channels)."""
    import keras

    keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(64, 1), keras.layers.UpSampling2D(200),
                      keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)]).save(path)
    return path


def crafted(folder: Path) -> dict[str, Path]:
    forest = small_forest()
    return {
        "forest: a child index outside its tree": broken_forest(
            forest, folder / "outside.skops", lambda t: t.children_left.__setitem__(0, 10**6)),
        "forest: a node that is its own child": broken_forest(
            forest, folder / "loop.skops", lambda t: t.children_left.__setitem__(0, 0)),
        "keras: a few KB declaring 1.9 GB of weights":
            weights_declared_but_not_written(folder / "bomb.keras"),
        "keras: a small network whose one answer needs 8 GB": greedy_network(folder / "greedy.keras"),
        "keras: 95 MB of weights declared that no layer reads": weights_padded(folder / "padded.keras"),
    }


def at_once(count: int, action) -> list:
    """`action(i)` for i in range(count), released together; each result, or the refusal."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    start = threading.Barrier(count)

    def one(i):
        start.wait()
        try:
            return action(i)
        except DigitLabError as e:
            return e

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))
