"""Shared fixtures: the real MNIST data (fetched once into the user's cache), isolated stores,
Chromium."""

from __future__ import annotations

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Tests on both cores (-n 2): one thread each for TensorFlow and NumPy, in this process and
    # the trainers and servers it starts; two processes of two threads each on two cores wait on
    # each other (the fast loop took 151 s so, 130 s like this). Alone (the serial load and Ray
    # tests) they train as the product does.
    for variable in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS",
                     "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

import numpy as np
import pytest

from nn import data


def pytest_configure(config):
    """A terminated test run (SIGTERM: a timeout, a CI cancel) ends as Ctrl-C does, so that
    fixtures still stop the servers and Ray clusters they started."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture(scope="session")
def mnist() -> data.Dataset:
    return data.load("mnist")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, one for the whole session (Playwright's sync API allows one)."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from harness.browser import CHROMIUM, launch

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """A real Ray cluster on loopback (harness.ray_cluster): a head and two worker nodes of 2 CPUs,
    started once for every test that needs it (they run alone, marked serial) and stopped at the
    end, whatever happens. A test that takes a node away adds one back."""
    from harness.ray_cluster import start_cluster, stop_cluster

    cluster = start_cluster(tmp_path_factory.mktemp("ray"), worker_nodes=2, cpus=2)
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path, monkeypatch):
    """Every test saves models and drawings into its own folders, never the user's."""
    monkeypatch.setenv("DIGITLAB_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("DIGITLAB_DRAWINGS_DIR", str(tmp_path / "drawings"))
    monkeypatch.setenv("DIGITLAB_INSIDE_DIR", str(tmp_path / "inside"))
    monkeypatch.setenv("DIGITLAB_EXPORTS_DIR", str(tmp_path / "exports"))


@pytest.fixture
def tmp_data_dir(tmp_path, monkeypatch):
    """A fresh, empty data cache for tests of fetching and caching."""
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def digit_canvas(image28: np.ndarray, size: int = 140, at=(10, 120), canvas: int = 280,
                 rgba: bool = True, light_on_dark: bool = True) -> np.ndarray:
    """An MNIST digit enlarged to `size` px and placed at `at` (row, col) on a canvas array."""
    from PIL import Image

    big = np.asarray(Image.fromarray(image28).resize((size, size), Image.Resampling.BILINEAR))
    gray = np.zeros((canvas, canvas), dtype=np.uint8)
    r, c = at
    gray[r:r + size, c:c + size] = big
    if not light_on_dark:
        gray = 255 - gray
    if not rgba:
        return gray
    out = np.zeros((canvas, canvas, 4), dtype=np.uint8)
    out[..., :3] = gray[..., None]
    out[..., 3] = 255
    return out
