"""Files made to take a class's server down, and what each costs it now: the time until it is
refused, the server process's memory, and whether it is still answering.

    .venv/bin/python -m bench.attacks   # prints a table

Each file is crafted here in a few lines, as anyone could. This process stands in for the server:
it calls what the Models page calls on an upload (nn.storage.saved_models.ModelStore.import_file).
"""

from __future__ import annotations

import copy
import io
import resource
import tempfile
import time
import zipfile
from pathlib import Path

from bench.tables import table
from nn.errors import DigitLabError

# What each attack cost the server before (the hardening issue's own measurements).
BEFORE = {
    "forest: a child index outside its tree": "segmentation fault: the server and every session died",
    "forest: a node that is its own child": "prediction looped for ever, on every core",
    "keras: a few KB declaring 1.9 GB of weights": "refused after 24 s and 8 GB, in the server",
    "keras: a small network whose one answer needs 8 GB": "(not tried before)",
    "keras: 95 MB of weights declared that no layer reads": "accepted and stored",
}


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


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure() -> list[dict]:
    from nn.storage.saved_models import ModelStore

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for attack, path in crafted(Path(tmp)).items():
            before_mb, started = peak_mb(), time.monotonic()
            try:
                ModelStore(Path(tmp) / "store").import_file(path, "attack")
                outcome = "stored (not refused)"
            except DigitLabError as e:
                outcome = f"refused: {e}"
            rows.append({"attack": attack, "file, KB": round(path.stat().st_size / 1024),
                         "before": BEFORE[attack], "now": outcome,
                         "seconds to the answer": round(time.monotonic() - started, 2),
                         "server's peak memory grew, MB": round(peak_mb() - before_mb),
                         "server still answers": still_answers()})
    return rows


def still_answers() -> bool:
    """The default model reads a drawing, as the Draw page would ask it next."""
    from nn.inference import predictor_for_file
    from nn.storage.saved_models import ModelStore
    from nn.storage.trial import a_drawing

    return predictor_for_file(ModelStore().resolve(None).path).predict_one(a_drawing()).label in range(10)


def main() -> int:
    print(table(measure()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
