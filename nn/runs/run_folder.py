"""One run's folder on disk: what it trains, its state, its progress, its weights.

    run.json        what to train (written once, when the run is submitted)
    state.json      queued, preparing, running, stopped, finished, failed or interrupted, and why
    lock            held (nn.storage.locks) by the process that trains the run, while it does
    stop            present once someone asked the run to stop
    progress.json   the counters: epoch, batch, elapsed, images/s
    batches.jsonl   one line per batch: step, epoch, loss, accuracy (appended as they arrive)
    epochs.jsonl    one line per epoch: loss, accuracy, val_*, seconds
    hidden.npy      the NumPy network's first-layer weights, for the live picture
    checkpoint.json which checkpoint-<epoch>.<suffix> holds the last finished epoch's weights
    model.<suffix>  the final model, once training ended
    saved.json      the names it was saved under, as models

Every file but the append-only logs is replaced atomically. The lock is the truth about whether a
run is training: the kernel releases it when its process dies, however it dies, so a run whose
state says "running" while nobody holds its lock was interrupted.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import numpy as np

from nn.progress import Progress
from nn.storage.files import write_atomic

RUN_FILE, STATE_FILE, LOCK_FILE, STOP_FILE = "run.json", "state.json", "lock", "stop"
PROGRESS_FILE, BATCHES_FILE, EPOCHS_FILE = "progress.json", "batches.jsonl", "epochs.jsonl"
HIDDEN_FILE, CHECKPOINT_FILE, SAVED_FILE = "hidden.npy", "checkpoint.json", "saved.json"


CHECKPOINT_NAME = re.compile(r"checkpoint-[0-9]{1,6}\.[a-z]{1,8}")  # checkpoint-<epoch>.<suffix>


def is_plain_name(name) -> bool:
    """Whether `name` names a file in a run's folder itself: not a path, not a dotfile, not empty.
    Names read from a run's files (a pointer, a change a cluster node sent) are checked with it
    before any is opened, written or deleted."""
    return (isinstance(name, str) and bool(name) and not name.startswith(".") and "/" not in name
            and "\\" not in name and "\0" not in name)


def read_json(path: Path, default=None):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


_parsed: dict[Path, tuple[tuple, object]] = {}  # path -> ((inode, mtime, size), its JSON)


def read_json_cached(path: Path, default=None):
    """read_json, parsed again only when the file was replaced or changed: the queue and every
    watching page look at every run's state twice a second, and most runs ended long ago."""
    try:
        st = os.stat(path)
    except OSError:
        _parsed.pop(path, None)
        return default
    key = (st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _parsed.get(path)
    if cached is None or cached[0] != key:
        value = read_json(path, None)
        if value is None:
            return default
        cached = _parsed[path] = (key, value)
    return copy.deepcopy(cached[1])


def write_json(path: Path, data, sync: bool = True) -> None:
    text = json.dumps(data)
    if sync:
        write_atomic(path, lambda tmp: tmp.write_text(text))
    else:  # progress: replaced many times a second; a crash may lose the last one, never half
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)


# --- locks ---------------------------------------------------------------------------------------


# --- progress: the writer (in the training process) and the reader (anyone) --------------------------

def append_lines(path: Path, rows: list[dict]) -> None:
    """Append JSON lines in one write, so that a reader sees whole lines or none of them."""
    if rows:
        with open(path, "a") as f:
            f.write("".join(json.dumps(row) + "\n" for row in rows))


def rewrite_lines(path: Path, rows: list[dict]) -> None:
    write_atomic(path, lambda tmp: tmp.write_text("".join(json.dumps(row) + "\n" for row in rows)))


def read_lines(path: Path) -> list[dict]:
    return LineReader(path).read_new()


class LineReader:
    """Reads a growing JSON-lines file a piece at a time: only what was appended since last time.

    `replaced` turns true when the file was rewritten (a resumed run drops its unfinished epoch).
    """

    def __init__(self, path: Path):
        self.path, self.offset, self.inode, self.replaced = path, 0, None, False

    def read_new(self) -> list[dict]:
        try:
            with open(self.path, "rb") as f:
                inode = os.fstat(f.fileno()).st_ino
                if self.inode not in (None, inode):
                    self.replaced = True
                    return []
                self.inode = inode
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n") + 1  # a line still being written waits for the next read
        self.offset += end
        return [row for line in chunk[:end].splitlines() if line.strip() and (row := _row(line)) is not None]


def _row(line: bytes) -> dict | None:
    """One line's record; None for a line torn by a kill or a full disk (the rest still counts)."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


class ProgressReader:
    """A run's Progress, read incrementally from its folder (cheap to call twice a second)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.progress = Progress()
        self._batches = LineReader(folder / BATCHES_FILE)
        self._epochs = LineReader(folder / EPOCHS_FILE)
        self._hidden_mtime = 0

    def read(self) -> Progress:
        counters = read_json(self.folder / PROGRESS_FILE, {})
        batches, epochs = self._batches.read_new(), self._epochs.read_new()
        if self._batches.replaced or self._epochs.replaced:  # resumed: read it all again
            self.__init__(self.folder)
            return self.read()
        p = self.progress
        p.batches.extend(batches)
        p.history.extend(epochs)
        for key, value in counters.items():
            setattr(p, key, value)
        hidden = self.folder / HIDDEN_FILE
        try:
            mtime = hidden.stat().st_mtime_ns
            if mtime != self._hidden_mtime:
                p.hidden_weights, self._hidden_mtime = np.load(hidden, allow_pickle=False), mtime
        except (OSError, ValueError):
            pass  # not a NumPy run, or replaced while we looked: the next read gets it
        return p


class ProgressWriter:
    """Copies what a recorder (nn.progress.LiveMetrics) has that the run's files do not yet."""

    def __init__(self, folder: Path, recorder, resumed_batches: int = 0, resumed_epochs: int = 0):
        self.folder, self.recorder = folder, recorder
        self.batches, self.epochs = resumed_batches, resumed_epochs
        self.thinned = recorder.thinned
        self.hidden_version = 0

    def flush(self) -> None:
        counters, batches, epochs, thinned = self.recorder.changes_since(self.batches, self.epochs,
                                                                         self.thinned)
        if thinned != self.thinned:  # the rows were merged: the file is written anew, readers reread
            rewrite_lines(self.folder / BATCHES_FILE, batches)
            self.thinned, self.batches = thinned, 0
        else:
            append_lines(self.folder / BATCHES_FILE, batches)
        append_lines(self.folder / EPOCHS_FILE, epochs)
        self.batches += len(batches)
        self.epochs += len(epochs)
        write_json(self.folder / PROGRESS_FILE, counters, sync=False)
        if self.recorder.hidden_version != self.hidden_version:
            self.hidden_version = self.recorder.hidden_version
            weights = self.recorder.progress.hidden_weights
            tmp = self.folder / f".{HIDDEN_FILE}"
            with open(tmp, "wb") as f:
                np.save(f, weights, allow_pickle=False)
            os.replace(tmp, self.folder / HIDDEN_FILE)
