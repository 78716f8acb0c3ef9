""""My drawings": digits people drew or uploaded, with the label they gave, kept on disk.

Each drawing is three files sharing an id: the original image (PNG), its 28x28 form (PNG) and a
JSON record written last. A drawing exists once its JSON exists, and every file is written
atomically, so a crash never leaves a half-saved drawing in the set.
"""

from __future__ import annotations

import io
import json
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from nn.errors import DigitLabError
from nn.limits import FINE_TUNE_REPEAT, FINE_TUNE_REPLAY, ORIGINAL_SIDE
from nn.phrases import said
from nn.storage.files import write_atomic
from nn.storage.paths import drawings_dir


class DrawingsError(DigitLabError):
    pass


@dataclass(frozen=True)
class LabelledDrawings:
    x: np.ndarray  # (n, 28, 28) uint8, MNIST-normalised
    y: np.ndarray  # (n,) int labels
    ids: list[str]
    records: list[dict]


def _write_atomic(path: Path, payload: bytes) -> None:
    write_atomic(path, lambda tmp: tmp.write_bytes(payload))


def png_bytes(array: np.ndarray, longest: int | None = None) -> bytes:
    """PNG bytes of the image, no more than `longest` pixels on its longer side when given."""
    image = Image.fromarray(array)
    if longest:
        image.thumbnail((longest, longest), Image.Resampling.LANCZOS)  # only ever makes it smaller
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class DrawingStore:
    def __init__(self, root: Path | None = None, room=None):
        self.root = Path(root) if root is not None else drawings_dir()
        self.room = room  # its owner's quota: room(bytes) checks and holds it (nn.storage.quota.room)

    def add(self, original: np.ndarray, image28: np.ndarray, label: int, dataset: str = "mnist",
            predicted: int | None = None, model: str | None = None) -> str:
        """Save one labelled drawing; returns its id."""
        if not 0 <= int(label) <= 9:
            raise DrawingsError(said("label must be 0-9, got {label}", label=str(label)))
        drawing_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]
        small = np.clip(np.round(np.asarray(image28) * 255), 0, 255).astype(np.uint8)
        record = {"id": drawing_id, "label": int(label), "dataset": dataset,
                  "predicted": predicted, "model": model,
                  "created": datetime.now(UTC).isoformat(timespec="seconds")}
        files = {f"{drawing_id}.png": png_bytes(np.asarray(original, dtype=np.uint8), ORIGINAL_SIDE),
                 f"{drawing_id}-28.png": png_bytes(small),
                 f"{drawing_id}.json": json.dumps(record).encode()}  # last: the drawing exists then
        try:
            with self.room(sum(map(len, files.values()))) if self.room else nullcontext():
                self.root.mkdir(parents=True, exist_ok=True)
                for name, payload in files.items():
                    _write_atomic(self.root / name, payload)
        except OSError as e:
            raise DrawingsError(f"cannot save the drawing in {self.root}: {e.strerror}") from None
        return drawing_id

    def load(self, dataset: str = "mnist") -> LabelledDrawings:
        """Every complete drawing for `dataset`, oldest first."""
        xs, ys, ids, records = [], [], [], []
        if self.root.is_dir():
            for path in sorted(self.root.glob("*.json")):
                if path.name.startswith("."):
                    continue  # a temp file of an unfinished save (pathlib's glob shows them)
                try:
                    record = json.loads(path.read_text())
                    with Image.open(self.root / f"{record['id']}-28.png") as im:
                        small = np.asarray(im.convert("L"))
                except (OSError, ValueError, KeyError):
                    continue  # an unreadable entry is skipped, not fatal
                if record.get("dataset", "mnist") != dataset or small.shape != (28, 28):
                    continue
                xs.append(small)
                ys.append(int(record["label"]))
                ids.append(record["id"])
                records.append(record)
        x = np.stack(xs) if xs else np.zeros((0, 28, 28), dtype=np.uint8)
        return LabelledDrawings(x, np.asarray(ys, dtype=np.int64), ids, records)

    def count(self, dataset: str = "mnist") -> int:
        """How many drawings `dataset` has; reads only the small JSON records (pages call it often)."""
        if not self.root.is_dir():
            return 0
        n = 0
        for path in self.root.glob("*.json"):
            try:
                record = json.loads(path.read_text()) if not path.name.startswith(".") else {}
            except (OSError, ValueError):
                continue
            image = self.root / f"{record.get('id')}-28.png"
            n += record.get("dataset", "mnist") == dataset and image.exists()
        return n


def with_drawings(base, drawings: LabelledDrawings, repeat: int = FINE_TUNE_REPEAT,
                  replay: int = FINE_TUNE_REPLAY):
    """A data set for fine-tuning on the user's drawings (nn.data.Dataset).

    Each drawing appears `repeat` times so that a handful of them count, mixed with `replay`
    of the original training images so that the model does not forget the rest of MNIST. The
    test set stays the original one, so the saved test accuracy still means the same thing.
    """
    from dataclasses import replace

    if len(drawings.y) == 0:
        raise DrawingsError(said("there are no saved drawings to fine-tune on"))
    x = np.concatenate([np.repeat(drawings.x, repeat, axis=0), base.x_train[:replay]])
    y = np.concatenate([np.repeat(drawings.y.astype(np.uint8), repeat), base.y_train[:replay]])
    return replace(base, x_train=x, y_train=y)
