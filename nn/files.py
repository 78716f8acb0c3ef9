"""Crash-safe file writing: write a temp file beside the target, then rename it into place.

A rename within one folder is atomic, so a reader (or a process killed mid-write) sees the old
file or the new one, never half of one. Temp files are dotfiles, which every listing skips.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def temp_beside(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through `write(tmp)` to a temp file in `path`'s folder; return it, not yet renamed."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; these are ordinary user files
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Replace `path` with what `write(tmp)` writes, all at once."""
    os.replace(temp_beside(path, write), path)
