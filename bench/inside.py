"""Inside the network, timed for one model (default mnist-cnn-best) in a fresh cache folder:

- every layer's output for one drawing (median over test images, as the Draw page computes it);
- the nearest training images of one drawing, once the index exists, and building the index;
- the map: the first time for the model (features, t-SNE) and again (from memory, and from disk).

    .venv/bin/python -m bench.inside
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from unittest import mock


def measure(model_name: str = "mnist-cnn-best", repeat: int = 50) -> dict:
    import numpy as np

    from nn import data, inside
    from nn.inference import predictor_for_file
    from nn.storage.cache import file_key
    from nn.storage.saved_models import ModelStore

    info = ModelStore().resolve(model_name)
    d = data.load(info.dataset)
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {"DIGITLAB_INSIDE_DIR": tmp}):
        inside._memory.clear()
        try:
            predictor = predictor_for_file(info.path)
            predictor.predict_one(d.x_test[0] / np.float32(255))  # loaded, as on the Draw page
            key = file_key(info.path)
            images = [d.x_test[i] / np.float32(255) for i in range(repeat)]
            layers = _median(lambda im: inside.layers(predictor, im), images)
            start = time.perf_counter()
            inside.index(predictor, key, d.x_train)
            index_s = time.perf_counter() - start
            near = _median(lambda im: inside.neighbours(predictor, key, d.x_train, d.y_train, im), images)
            first, again = _map_times(predictor, key, d)
            inside._memory.clear()
            start = time.perf_counter()
            inside.test_map(predictor, key, d.x_test, d.y_test)
            from_disk = time.perf_counter() - start
        finally:
            inside._memory.clear()
    return {
        f"{model_name}: every layer's output for one drawing (median of {repeat}; target < 50 ms)":
            f"{layers * 1000:.1f} ms",
        "nearest 8 training images of one drawing, index built (target < 100 ms)": f"{near * 1000:.1f} ms",
        "building the index: features of the 60,000 training images, once per model file": f"{index_s:.1f} s",
        f"the map of {inside.MAP_IMAGES:,} test images, first time for the model (target < 2 s)":
            f"{first:.2f} s",
        "the map again (in memory / read from disk)": f"{again * 1000:.1f} ms / {from_disk * 1000:.0f} ms",
    }


def _median(fn, images) -> float:
    fn(images[0])
    times = []
    for image in images:
        start = time.perf_counter()
        fn(image)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _map_times(predictor, key, d) -> tuple[float, float]:
    from nn import inside

    start = time.perf_counter()
    inside.test_map(predictor, key, d.x_test, d.y_test)
    first = time.perf_counter() - start
    start = time.perf_counter()
    inside.test_map(predictor, key, d.x_test, d.y_test)
    return first, time.perf_counter() - start


if __name__ == "__main__":
    for measure_name, value in measure().items():
        print(f"{measure_name}: {value}")
