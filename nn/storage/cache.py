"""Caches of what is computed from a model file (the inside views' indexes, a model's export for
the browser): a file is known by its content's hash, so a retrained model never reuses an old
entry and two copies of one file share it; a cache folder keeps a bounded number of bytes, the
least recently used going first."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


def file_key(path: Path) -> str:
    """A model file's identity: the hash of its content (computed once per version of the file)."""
    stat = Path(path).stat()
    return _hash(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _hash(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:24]


def prune_disk(folder: Path, most_bytes: int, keep: Path, pattern: str = "*.npz") -> None:
    """Remove the least recently used files matching `pattern` until the folder holds at most
    `most_bytes` (models come and go; what was computed from them would stay for ever)."""
    entries = []
    for path in folder.glob(pattern):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed meanwhile by another process
        entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= most_bytes:
            break
        if path != keep:
            path.unlink(missing_ok=True)
            total -= size
