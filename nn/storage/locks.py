"""Locks: an exclusive flock on a file, held by one process until it lets go or ends (the kernel
releases it however the process ends)."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path


class Lock:
    """An exclusive flock on a file, held until release() or the process's end."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; False when someone does (or the run is gone)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            return False  # the folder was deleted
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


@contextmanager
def waiting_for(path: Path):
    """`with waiting_for(path):` holds the lock in the block, waiting for whoever holds it first:
    a check and the write it allows, as one step."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def locked(path: Path):
    """`with locked(path) as got:` holds the lock in the block when `got` is true."""
    lock = Lock(path)
    got = lock.acquire()
    try:
        yield got
    finally:
        lock.release()

