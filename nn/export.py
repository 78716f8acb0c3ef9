"""Models in other formats: ONNX, which the Draw page's live canvas runs in the browser (and any
onnxruntime can), and .tflite (LiteRT), for phones. Each kind exports its own models
(Kind.export); a file is exported once per version of its content and kept in a cache folder of
bounded size, the least recently used going first (as the inside views' is).

Every export takes one image, (1, 28, 28) float32 pixels in [0, 1], and returns its class
probabilities, as the app's predictors do.
"""

from __future__ import annotations

import threading
from pathlib import Path

from nn.errors import DigitLabError
from nn.kinds import registry as kinds
from nn.storage.cache import file_key, prune_disk
from nn.storage.files import temp_beside
from nn.storage.paths import exports_dir

FORMATS = {"onnx": ".onnx", "tflite": ".tflite"}  # what nn export writes, and its file's suffix
KEPT_ON_DISK_BYTES = 1 * 2**30  # the cache folder: the least recently used exports go beyond this

_building: dict[str, threading.Lock] = {}
_guard = threading.Lock()


class ExportError(DigitLabError):
    """A model that cannot be exported to a format; the message says why."""


def exported(path: Path, fmt: str) -> Path:
    """The model file `path` as `fmt`, exported now or earlier (ExportError when its kind cannot)."""
    if fmt not in FORMATS:
        raise ExportError(f"the formats are {', '.join(FORMATS)}, not {fmt!r}")
    path = Path(path)
    kind = kinds.of_file(path)
    if fmt not in kind.export_formats:
        raise ExportError(f"{path.stem} cannot be exported as {fmt}: "
                          + (kind.no_export_why if not kind.export_formats else
                             f"its kind exports to {', '.join(kind.export_formats)}"))
    target = _target(path, fmt)
    with _guard:
        lock = _building.setdefault(target.name, threading.Lock())
    with lock:  # one export per file, however many sessions ask at once
        if target.exists():
            target.touch()  # used: the last to go when the folder is pruned
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp = temp_beside(target, lambda out: kind.export(path, fmt, out))
        except DigitLabError:
            raise
        except Exception as e:  # noqa: BLE001 - converters raise many types
            why = f"{type(e).__name__}: {e}"[:240]
            raise ExportError(f"{path.stem} could not be exported as {fmt}: {why}") from None
        tmp.replace(target)
        prune_disk(target.parent, KEPT_ON_DISK_BYTES, keep=target, pattern=f"*{FORMATS[fmt]}")
    return target


def is_exported(path: Path, fmt: str) -> bool:
    """Whether `path` has been exported as `fmt` already (exported() then costs nothing)."""
    return fmt in FORMATS and _target(Path(path), fmt).exists()


def _target(path: Path, fmt: str) -> Path:
    return exports_dir() / f"{file_key(path)}{FORMATS[fmt]}"
