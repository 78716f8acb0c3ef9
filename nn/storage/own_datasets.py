"""Data sets of one's own: a name, 2 to 20 classes with any names people write (`ž`, `✓`, `cat`),
and drawings of them, beside MNIST and Fashion-MNIST.

A set is a folder in its owner's drawings folder (`sets/<id>/`): `set.json` (its name and classes)
and its drawings, each three files sharing an id as in "my drawings" (nn.storage.drawings): the
original, small; the 28x28 image the app's preprocessing made of it; and the JSON record (class,
who drew it, when), written last, so that a drawing exists once its record does. Everything a set
holds counts in its owner's quota (the store is handed nn.storage.quota.room).

A class's data set (`class_store`) is the same folder under the drawings folder's `class/`: the
teacher makes it, every student adds to it, and each drawing also records whose workspace it came
from (`owner`), so that a student deletes only their own; the teacher hides a drawing that does not
belong (`hidden`: kept for the record, left out of training and test). A person adds at most
MAX_CLASS_DRAWINGS to one class set: it counts in nobody's quota.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
import zipfile
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from nn.errors import DigitLabError
from nn.limits import ORIGINAL_SIDE
from nn.phrases import Phrase, said
from nn.storage.drawings import png_bytes
from nn.storage.files import ArchiveError, write_atomic, zip_entries

MIN_CLASSES, MAX_CLASSES = 2, 20
MAX_NAME = 24  # characters in a set's or a class's name
# What would change how a page shows a name (HTML, Markdown), or make a class's folder in an export
# a path.
NOT_IN_NAMES = set("<>&\"`*[]#|\\{}$/")
TAKEN_NAMES = ("mnist", "fashion-mnist")  # the data sets every server has
MAX_IMPORT_BYTES = 50 * 2**20  # a zip or .npy brought in
MAX_IMPORT_UNPACKED = 200 * 2**20
MAX_IMPORT_IMAGES = 20_000
SETS_FOLDER, SET_FILE = "sets", "set.json"
MAX_CLASS_DRAWINGS = 500  # one person's drawings in one class set


class DatasetError(DigitLabError, ValueError):
    """A data set, a class or a drawing that cannot be used; the message says why."""


def checked_name(text, what: Phrase | None = None) -> str:
    """`text` as a set's or a class's name (spaces made single), or DatasetError saying why not;
    `what` it names (a phrase: the app translates it), a data set's name unless told."""
    what = what or said("a data set's name")
    if not isinstance(text, str):
        raise DatasetError(said("{what} must be text, got {text}", what=what, text=repr(text)))
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if not 1 <= len(name) <= MAX_NAME:
        raise DatasetError(said("{what} needs 1 to {most} characters, got {n}", what=what, most=MAX_NAME,
                                n=str(len(name))))
    bad = sorted({c for c in name if c in NOT_IN_NAMES or not c.isprintable()})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise DatasetError(said("{what} {name} may not hold {shown}: letters, digits, symbols and spaces",
                                what=what, name=repr(name), shown=shown))
    return name


def checked_classes(classes) -> tuple[str, ...]:
    """2 to 20 different class names, each checked; DatasetError listing what is wrong."""
    if isinstance(classes, str):
        classes = classes.split(",")
    names = tuple(checked_name(c, said("a class's name")) for c in classes)
    if not MIN_CLASSES <= len(names) <= MAX_CLASSES:
        raise DatasetError(said("a data set has {least} to {most} classes, got {n}", least=MIN_CLASSES,
                                most=MAX_CLASSES, n=len(names)))
    spellings: dict[str, list[str]] = {}
    for n in names:
        spellings.setdefault(n.casefold(), []).append(n)
    twice = [" and ".join(same) for same in spellings.values() if len(same) > 1]
    if twice:
        raise DatasetError(said("each class once: {twice} name the same class", twice="; ".join(twice)))
    return names


def _small(image28: np.ndarray) -> np.ndarray:
    """The preprocessing's 28x28 floats in [0, 1] (or uint8) as uint8."""
    image = np.asarray(image28)
    if image.dtype == np.uint8:
        return image
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Drawings:
    """A set's drawings as arrays, oldest first."""

    x: np.ndarray  # (n, 28, 28) uint8
    y: np.ndarray  # (n,) int: the index of each drawing's class
    people: list[str]  # who drew each
    ids: list[str]


class OwnDataset:
    """One set in its folder; made by DatasetStore."""

    def __init__(self, folder: Path, room=None):
        self.folder, self.room = folder, room
        meta = json.loads((folder / SET_FILE).read_text())
        self.name: str = meta["name"]
        self.classes: tuple[str, ...] = tuple(meta["classes"])
        self.created: str = meta.get("created", "")
        self.of_class: bool = bool(meta.get("class"))  # a class's set, which every student adds to

    @property
    def id(self) -> str:
        return self.folder.name

    def class_index(self, label: str) -> int:
        """The index of the class named `label` (case as written, or not); DatasetError if none."""
        for i, name in enumerate(self.classes):
            if name == label or name.casefold() == str(label).casefold():
                return i
        raise DatasetError(said("{set} has no class {label}; its classes: {classes}", set=repr(self.name),
                                label=repr(label), classes=", ".join(self.classes)))

    # --- drawings --------------------------------------------------------------------------
    def add(self, image, label: str, by: str = "", owner: str = "") -> str:
        """Add one drawing of class `label` (a canvas array, an image, a file's path or bytes): it
        goes through the app's preprocessing, and an image with no ink is refused as on the Draw
        page; returns its id."""
        from nn.preprocess import open_image, to_gray, to_mnist

        index = self.class_index(label)
        if isinstance(image, (str, Path, bytes)):
            image = open_image(image)
        gray = to_gray(image)
        small = _small(to_mnist(gray))  # EmptyImageError (a DigitLabError) when there is no ink
        self._check_share(owner, 1)
        return self._write(small, index, by, _small(gray), owner)

    def add_small(self, images28: np.ndarray, label: str, by: str = "", owner: str = "") -> list[str]:
        """Add images that are already 28x28 and white on black (Quick, Draw!'s form, an export of
        a set); one with no ink is refused before any is added."""
        index = self.class_index(label)
        images = np.asarray(images28)
        if images.ndim == 2 and images.shape[1] == 28 * 28:
            images = images.reshape(-1, 28, 28)
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DatasetError(said("images of 28x28 pixels are needed (an (n, 28, 28) or (n, 784) array), "
                                    "got an array of shape {shape}", shape=str(images.shape)))
        if images.dtype != np.uint8:
            if not np.issubdtype(images.dtype, np.floating) or not np.isfinite(images).all() \
                    or images.min() < 0 or images.max() > 1:
                raise DatasetError(said("pixels must be bytes (0-255) or numbers from 0 to 1, got {type}",
                                        type=str(images.dtype)))
            images = _small(images)
        empty = [i for i, image in enumerate(images) if image.max() < 32]
        if empty:
            raise DatasetError(said("{empty} of the {n} images have no ink (the first: number {first}); "
                                    "nothing was added", empty=str(len(empty)), n=str(len(images)),
                                    first=str(empty[0] + 1)))
        self._check_share(owner, len(images))
        return [self._write(image, index, by, image, owner) for image in images]

    def add_file(self, data: bytes, label: str, by: str = "", owner: str = "") -> str:
        """An image file's bytes: taken as it is when it is already a 28x28 image (an export's),
        else preprocessed as a drawing."""
        from nn.preprocess import open_image

        image = open_image(data)
        if image.size == (28, 28):
            return self.add_small(np.asarray(image.convert("L"))[None], label, by, owner)[0]
        return self.add(image, label, by, owner)

    def _check_share(self, owner: str, more: int) -> None:
        """In a class set, one person adds at most MAX_CLASS_DRAWINGS."""
        if self.of_class:
            if not owner:
                raise DatasetError(said("a drawing for a class's data set must say whose it is"))
            theirs = sum(r.get("owner") == owner for r in self.records(hidden_too=True))
            if theirs + more > MAX_CLASS_DRAWINGS:
                raise DatasetError(said("you have added {n} drawings to {set}, and one person adds at most "
                                        "{most} to a class's data set", n=theirs, set=repr(self.name),
                                        most=MAX_CLASS_DRAWINGS))

    def _write(self, small: np.ndarray, index: int, by: str, original: np.ndarray, owner: str = "") -> str:
        drawing_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f-") + uuid.uuid4().hex[:6]  # sorts as made
        record = {"id": drawing_id, "class": self.classes[index], "by": str(by)[:64],
                  "created": datetime.now(UTC).isoformat(timespec="seconds"),
                  **({"owner": owner} if owner else {})}
        files = {f"{drawing_id}.png": png_bytes(original, ORIGINAL_SIDE),
                 f"{drawing_id}-28.png": png_bytes(small),
                 f"{drawing_id}.json": json.dumps(record, ensure_ascii=False).encode()}  # last
        try:
            with self.room(sum(map(len, files.values()))) if self.room else nullcontext():
                for name, payload in files.items():
                    write_atomic(self.folder / name, lambda tmp, payload=payload: tmp.write_bytes(payload))
        except OSError as e:
            raise DatasetError(f"cannot save the drawing in {self.name!r}: {e.strerror}") from None
        return drawing_id

    def records(self, hidden_too: bool = False) -> list[dict]:
        """Every complete drawing's record, oldest first; those the teacher hid only if asked."""
        found = []
        for path in sorted(self.folder.glob("*.json")):
            if path.name.startswith(".") or path.name == SET_FILE:
                continue
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and record.get("class") in self.classes \
                    and (hidden_too or not record.get("hidden")) \
                    and (self.folder / f"{record.get('id')}-28.png").exists():
                found.append(record)
        return found

    def counts(self, records: list[dict] | None = None) -> dict[str, int]:
        """How many drawings each class has, in the classes' order (of `records`, read once by a
        page that also shows them; those hidden left out)."""
        counts = dict.fromkeys(self.classes, 0)
        for record in self.records() if records is None else records:
            if not record.get("hidden"):
                counts[record["class"]] += 1
        return counts

    def drawings(self) -> Drawings:
        xs, ys, people, ids = [], [], [], []
        for record in self.records():
            try:
                with Image.open(self.folder / f"{record['id']}-28.png") as image:
                    small = np.asarray(image.convert("L"))
            except OSError:
                continue
            if small.shape == (28, 28):
                xs.append(small)
                ys.append(self.classes.index(record["class"]))
                people.append(record.get("by", ""))
                ids.append(record["id"])
        x = np.stack(xs) if xs else np.zeros((0, 28, 28), dtype=np.uint8)
        return Drawings(x, np.asarray(ys, dtype=np.int64), people, ids)

    def image28(self, drawing_id: str) -> np.ndarray:
        """A drawing as the network reads it: 28x28, white on black."""
        self._record(drawing_id)
        with Image.open(self.folder / f"{drawing_id}-28.png") as image:
            return np.asarray(image.convert("L"))

    def _record(self, drawing_id: str) -> dict:
        path = self.folder / f"{drawing_id}.json"
        if not drawing_id or "/" in drawing_id or drawing_id.startswith(".") or not path.is_file():
            raise DatasetError(said("{set} has no drawing {drawing}", set=repr(self.name),
                                    drawing=repr(drawing_id)))
        return json.loads(path.read_text())

    def counts_by_person(self) -> dict[str, dict[str, int]]:
        """Each person's drawings per class (those hidden left out), for a class set's teacher."""
        people: dict[str, dict[str, int]] = {}
        for record in self.records():
            people.setdefault(record.get("by") or "?", dict.fromkeys(self.classes, 0))[record["class"]] += 1
        return people

    def hide(self, drawing_id: str, hidden: bool = True) -> None:
        """Leave a drawing out of training and test (or put it back), kept for the record."""
        record = {**self._record(drawing_id), "hidden": bool(hidden)}
        write_atomic(self.folder / f"{drawing_id}.json",
                     lambda tmp: tmp.write_text(json.dumps(record, ensure_ascii=False)))

    def _check_owner(self, record: dict, owner: str | None) -> None:
        if self.of_class and owner is not None and record.get("owner") != owner:
            raise DatasetError(said("in a class's data set you can change only your own drawings"))

    def delete(self, drawing_id: str, owner: str | None = None) -> None:
        """Delete a drawing; in a class set, `owner` (a workspace's id) must be the one who added it."""
        self._check_owner(self._record(drawing_id), owner)
        (self.folder / f"{drawing_id}.json").unlink()  # first: the drawing is gone at once
        for suffix in (".png", "-28.png"):
            (self.folder / f"{drawing_id}{suffix}").unlink(missing_ok=True)

    def move(self, drawing_id: str, label: str, owner: str | None = None) -> None:
        """Put a drawing in another class (in a class set, only one's own: `owner`)."""
        record = self._record(drawing_id)
        self._check_owner(record, owner)
        record = {**record, "class": self.classes[self.class_index(label)]}
        write_atomic(self.folder / f"{drawing_id}.json",
                     lambda tmp: tmp.write_text(json.dumps(record, ensure_ascii=False)))

    # --- files ---------------------------------------------------------------------------------
    def export(self, out: Path) -> Path:
        """A zip of the set: `<class>/<id>.png` (28x28) per drawing, and set.json."""
        out = Path(out)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(SET_FILE, json.dumps({"name": self.name, "classes": list(self.classes)},
                                                  ensure_ascii=False))
            for record in self.records():
                archive.write(self.folder / f"{record['id']}-28.png", f"{record['class']}/{record['id']}.png")
        return out

    def summary(self, owner: str = "you") -> dict:
        """What `nn datasets --json` prints for it."""
        counts = self.counts()
        return {"name": self.name, "owner": owner, "classes": list(self.classes),
                "counts": counts, "size": sum(counts.values())}


class DatasetStore:
    """One person's data sets, in their drawings folder."""

    def __init__(self, drawings_root: Path, room=None, of_class: bool = False):
        self.root = Path(drawings_root) / SETS_FOLDER
        self.room = room  # its owner's quota: room(bytes) checks and holds it (nn.storage.quota.room)
        self.of_class = of_class  # the class's sets (class_store)

    def list(self) -> list[OwnDataset]:
        sets = []
        if self.root.is_dir():
            for folder in sorted(self.root.iterdir()):
                try:
                    sets.append(OwnDataset(folder, self.room))
                except (OSError, ValueError, KeyError):
                    continue  # a set being made or removed
        return sorted(sets, key=lambda s: s.name.casefold())

    def get(self, name: str) -> OwnDataset:
        for found in self.list():
            if found.name.casefold() == str(name).casefold():
                return found
        known = ", ".join(s.name for s in self.list()) or "none yet"
        raise DatasetError(said("no data set named {name} (yours: {known})", name=repr(name), known=known))

    def by_id(self, set_id: str) -> OwnDataset:
        """The set in folder `set_id` (what a run records); DatasetError when it is gone."""
        folder = self.root / str(set_id)
        if not str(set_id).startswith("set-") or "/" in str(set_id) or not (folder / SET_FILE).is_file():
            raise DatasetError(said("the data set this was trained on is gone"))
        return OwnDataset(folder, self.room)

    def create(self, name: str, classes) -> OwnDataset:
        name, classes = checked_name(name), checked_classes(classes)
        if name.casefold() in TAKEN_NAMES:
            raise DatasetError(said("{name} is the name of a data set every server has: choose another",
                                    name=repr(name)))
        if any(s.name.casefold() == name.casefold() for s in self.list()):
            raise DatasetError(said("you already have a data set named {name}", name=repr(name)))
        folder = self.root / ("set-" + uuid.uuid4().hex[:10])
        meta = {"name": name, "classes": list(classes),
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                **({"class": True} if self.of_class else {})}
        with self.room() if self.room else nullcontext():
            folder.mkdir(parents=True)
            write_atomic(folder / SET_FILE, lambda tmp: tmp.write_text(json.dumps(meta, ensure_ascii=False)))
        return OwnDataset(folder, self.room)

    def remove(self, name: str) -> None:
        import shutil

        found = self.get(name)
        (found.folder / SET_FILE).unlink()  # first: the set is gone at once, whatever follows
        shutil.rmtree(found.folder, ignore_errors=True)

    @staticmethod
    def _classes_of(path: Path, entries: dict, images: dict) -> list[str]:
        """The classes of an imported zip: in its set.json's order (an export's), then its other
        folders."""
        listed = _listed_classes(path, entries)
        return listed + [label for label in images if label not in listed]

    def import_zip(self, path: Path, name: str) -> OwnDataset:
        """A set from a zip of `<class>/<image>` files (an export, or folders of one's own): every
        image goes through the app's preprocessing unless it is already 28x28. Nothing is kept
        when any of it is refused."""
        path = Path(path)
        try:
            entries = zip_entries(path, MAX_IMPORT_BYTES, MAX_IMPORT_UNPACKED,
                                  "a zip archive of a folder of images per class")
        except ArchiveError as e:
            raise DatasetError(str(e)) from None
        images: dict[str, list[str]] = {}
        for entry_name, entry in entries.items():
            parts = PurePosixPath(entry_name).parts
            if entry_name.startswith("/") or ".." in parts or "\\" in entry_name:
                raise DatasetError(said("{file} holds {entry}, a path out of its folder: nothing imported",
                                        file=path.name, entry=repr(entry_name)))
            if entry.is_dir() or parts[-1] == SET_FILE or parts[-1].startswith("."):
                continue
            if len(parts) < 2:
                raise DatasetError(said("{file}: {entry} is not in a class's folder (<class>/<image>.png)",
                                        file=path.name, entry=repr(entry_name)))
            images.setdefault(parts[-2], []).append(entry_name)
        if sum(map(len, images.values())) > MAX_IMPORT_IMAGES:
            raise DatasetError(said("{file} holds more than {most} images", file=path.name,
                                    most=MAX_IMPORT_IMAGES))
        created = self.create(name, self._classes_of(path, entries, images))
        try:
            with zipfile.ZipFile(path) as archive:
                for label, names in images.items():
                    for entry_name in sorted(names):
                        created.add_file(archive.read(entry_name), label)
        except (DigitLabError, zipfile.BadZipFile, OSError) as e:
            self.remove(created.name)
            raise DatasetError(f"{path.name}: {e}; nothing imported") from None
        return created


def _listed_classes(path: Path, entries: dict) -> list:
    """The class order an export's set.json gives, or none."""
    if SET_FILE not in entries or entries[SET_FILE].file_size > 64_000:
        return []
    try:
        with zipfile.ZipFile(path) as archive:
            classes = json.loads(archive.read(SET_FILE)).get("classes")
    except (ValueError, AttributeError, OSError, zipfile.BadZipFile):
        return []
    return [c for c in classes if isinstance(c, str)] if isinstance(classes, list) else []


def load_npy(path: Path) -> np.ndarray:
    """A .npy array of 28x28 images (Quick, Draw!'s numpy_bitmap form), read without pickles."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise DatasetError(said("{file} is over {most} MB", file=path.name,
                                    most=MAX_IMPORT_BYTES // 2**20))
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise DatasetError(f"{path.name} is not a NumPy array file: {e}") from None
    if not isinstance(array, np.ndarray):
        raise DatasetError(said("{file} holds several arrays; one array of images is needed", file=path.name))
    return array
