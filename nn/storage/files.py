"""Files: crash-safe writing, and the checks before opening an archive someone gave us.

Writing goes to a temp file beside the target, then renames it into place. A rename within one
folder is atomic, so a reader (or a process killed mid-write) sees the old file or the new one,
never half of one. Temp files are dotfiles, which every listing skips.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from nn.errors import DigitLabError


def secret_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """The contents of a secret kept in `path` (0600), made with `make()` by the first process
    that needs it: whole or not at all, and if another process was first, its secret stands."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(make())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes()


def replace_secret(path: Path, data: bytes) -> None:
    """Replace the secret kept in `path` with `data`, all at once and readable by this user alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def umask() -> int:
    """This process's umask, read without changing it (os.umask would, for a moment, for every
    thread)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def temp_beside(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through `write(tmp)` to a temp file in `path`'s folder; return it, not yet renamed."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes files private; these are ordinary files
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Replace `path` with what `write(tmp)` writes, all at once."""
    os.replace(temp_beside(path, write), path)


class ArchiveError(DigitLabError, ValueError):
    """A file that is not a readable zip archive of an acceptable size; the message says why."""


def zip_entries(path: Path, max_bytes: int, max_unpacked: int, kind: str) -> dict[str, zipfile.ZipInfo]:
    """The entries of the zip archive at `path`, by name, once it is known to be safe to open.

    Refuses a missing, empty or oversized file, a file that is not a zip (`kind` says what it
    should have been) and an archive that declares more than `max_unpacked` bytes (a zip bomb).
    """
    try:
        size = path.stat().st_size
    except OSError as e:
        raise ArchiveError(f"cannot read {path.name}: {e.strerror}") from None
    if size == 0:
        raise ArchiveError(f"{path.name} is empty")
    if size > max_bytes:
        raise ArchiveError(f"{path.name} is {size / 2**20:.1f} MB; the limit is {max_bytes // 2**20} MB")
    if not zipfile.is_zipfile(path):
        raise ArchiveError(f"{path.name} is not {kind}")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = {entry.filename: entry for entry in archive.infolist()}
    except (zipfile.BadZipFile, OSError) as e:
        raise ArchiveError(f"{path.name} is a damaged archive: {e}") from None
    if sum(entry.file_size for entry in entries.values()) > max_unpacked:
        raise ArchiveError(f"{path.name} unpacks to more than {max_unpacked // 2**20} MB")
    return entries
