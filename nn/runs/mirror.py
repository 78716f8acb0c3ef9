"""A run's folder, copied change by change from the cluster node that trains it into the run store.

The node trains into a folder of its own with the code that trains local runs (nn.runs.worker); every
FLUSH_EVERY it collects what changed there and sends it; the driver applies it to the run's real
folder. Changes are ("append", name, bytes) for the logs, ("replace", name, bytes) for every other
file, and ("delete", name). Their order keeps the folder's promises: the pointers (checkpoint.json,
progress.json, state.json) are read first and written last, so that a pointer never names a
checkpoint, or a state a model, that has not arrived.
"""

from __future__ import annotations

import os
from pathlib import Path

from nn.errors import DigitLabError
from nn.runs.run_folder import (
    BATCHES_FILE,
    CHECKPOINT_FILE,
    EPOCHS_FILE,
    LOCK_FILE,
    PROGRESS_FILE,
    RUN_FILE,
    STATE_FILE,
    STOP_FILE,
    is_plain_name,
)
from nn.storage.files import write_atomic

APPENDED = (BATCHES_FILE, EPOCHS_FILE)
POINTERS = (CHECKPOINT_FILE, PROGRESS_FILE, STATE_FILE)
NOT_SENT = (RUN_FILE, LOCK_FILE, STOP_FILE)  # the driver's own


def _stamp(path: Path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class FolderChanges:
    """What changed in `folder` since the last collect(); the files there at the start count as
    sent (the driver sent them)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.stamps = {p.name: _stamp(p) for p in self._files()}
        self.offsets = {name: self.stamps[name][2] for name in APPENDED if name in self.stamps}

    def _files(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir()
                      if p.is_file() and not p.name.startswith(".") and p.name not in NOT_SENT)

    def collect(self) -> list[tuple]:
        pointers = [self._replaced(self.folder / name) for name in POINTERS]
        changes = []
        for path in self._files():
            if path.name in APPENDED:
                changes.append(self._appended(path))
            elif path.name not in POINTERS:
                changes.append(self._replaced(path))
        changes += pointers
        present = {p.name for p in self._files()}
        for name in sorted(set(self.stamps) - present):
            del self.stamps[name]
            self.offsets.pop(name, None)
            changes.append(("delete", name))
        return [change for change in changes if change is not None]

    def _replaced(self, path: Path) -> tuple | None:
        stamp = _stamp(path)
        if stamp is None or stamp == self.stamps.get(path.name):
            return None
        data = path.read_bytes()  # every such file is replaced whole (os.replace), never written in place
        self.stamps[path.name] = stamp
        return ("replace", path.name, data)

    def _appended(self, path: Path) -> tuple | None:
        stamp = _stamp(path)
        known = self.stamps.get(path.name)
        if stamp is None or stamp == known:
            return None
        if known is None or known[0] != stamp[0] or stamp[2] < self.offsets.get(path.name, 0):
            data = path.read_bytes()  # new, or rewritten (a resumed run drops an unfinished epoch)
            data = data[:data.rfind(b"\n") + 1]
            self.stamps[path.name], self.offsets[path.name] = stamp, len(data)
            return ("replace", path.name, data)
        with open(path, "rb") as f:
            f.seek(self.offsets[path.name])
            data = f.read()
        data = data[:data.rfind(b"\n") + 1]  # whole lines only: the rest comes next time
        self.offsets[path.name] += len(data)
        self.stamps[path.name] = stamp
        return ("append", path.name, data) if data else None


class MirrorError(DigitLabError):
    """A change a cluster node sent that is not a change of the run's own files."""


def apply(folder: Path, changes: list[tuple]) -> None:
    """Write `changes` (from FolderChanges.collect) into the run's folder; MirrorError, and nothing
    written, for a change outside it."""
    for change in changes:
        if not isinstance(change, tuple) or len(change) < 2 or not is_plain_name(change[1]) \
                or change[1] in NOT_SENT or change[0] not in ("append", "replace", "delete"):
            raise MirrorError(f"the cluster node sent a change that is not one of the run's files: "
                              f"{str(change[:2])[:80]}")
    for change in changes:
        action, name = change[0], change[1]
        path = Path(folder) / name
        if action == "append":
            with open(path, "ab") as f:
                f.write(change[2])
        elif action == "replace":
            write_atomic(path, lambda tmp, data=change[2]: tmp.write_bytes(data))
        else:
            path.unlink(missing_ok=True)
