"""Saved models: `<name>` plus the suffix of its kind (`.keras`, `.npmlp`, `.skops`; nn.kinds.registry),
with `<name>.json` metadata, written atomically, loaded safely by its kind.

A store is one workspace's folder (nn.storage.workspaces); the bundled models in assets/models/ are
listed beside it, read-only.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path

from nn import words
from nn.errors import ModelLoadError, StoreError
from nn.kinds import registry as kinds
from nn.phrases import said
from nn.storage.files import temp_beside, write_atomic
from nn.storage.paths import bundled_models_dir, models_dir
from nn.storage.trial import try_model_file

__all__ = ["DEFAULT_MODEL", "ModelInfo", "ModelLoadError", "ModelStore", "StoreError", "check_name"]

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # MAX_NAME characters
DEFAULT_MODEL = "mnist-cnn-best"  # the bundled best MNIST model
ACTIVE_FILE = ".active-model.json"  # in a store's folder: the model used when none is named


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path  # the model file
    metadata: dict
    bundled: bool = False  # bundled models are read-only
    shared: dict | None = None  # a class model's title, by, workspace, hidden (nn.storage.class_shelf)

    @property
    def owner(self) -> str:
        """Whose it is, as the person looking sees it: you, bundled or class."""
        return "class" if self.shared else "bundled" if self.bundled else "you"

    @property
    def read_only(self) -> bool:
        return self.bundled or self.shared is not None

    @property
    def origin(self) -> str:
        return origin(self.metadata)

    @property
    def dataset(self) -> str:
        return self.metadata.get("dataset") or "mnist"

    @property
    def test_accuracy(self) -> float | None:
        return self.metadata.get("test_accuracy")

    @property
    def kind(self) -> kinds.Kind:
        return kinds.of_file(self.path)

    def row(self) -> dict:
        """One row of the model table, for people."""
        m = self.metadata
        return {
            "name": self.name,
            "dataset": m.get("dataset_title") or self.dataset,  # a drawn set by its name, not its id
            "model": origin(m),
            "epochs": m.get("epochs_completed"),
            "test accuracy": m.get("test_accuracy"),
            "training time": words.duration(m.get("seconds")),
            "created": m.get("created"),
            "owner": self.owner,
            "by": (self.shared or {}).get("by", ""),
        }


def origin(metadata: dict) -> str:
    """Where a model came from: 'cnn-best', 'custom dense', 'fine-tuned mnist-cnn-best', 'uploaded'."""
    return str(origin_phrase(metadata))


def origin_phrase(metadata: dict) -> words.Phrase:
    if metadata.get("fine_tuned_from"):
        return words.said("fine-tuned {model}", model=metadata["fine_tuned_from"])
    if metadata.get("preset"):
        return words.Phrase("{preset}", {"preset": metadata["preset"]})  # a name: no words to translate
    if metadata.get("spec"):
        custom = {"dense": words.said("custom dense"), "conv": words.said("custom conv")}
        return custom.get(metadata["spec"].get("kind"), words.said("custom"))
    return words.said("uploaded") if metadata.get("uploaded") else words.said("unknown")


MAX_NAME = 64


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        shown = repr(name) if isinstance(name, str) and len(name) <= MAX_NAME else "that name"
        raise StoreError(said(
            "invalid model name {name}: use 1-{most} letters, digits, '-', '_' or '.', starting with a "
            "letter or digit (no paths, no '..')", name=shown, most=MAX_NAME))
    return name


def _versions() -> dict:
    """The library versions a model was made with (read without importing them)."""
    def version(package: str) -> str | None:
        try:
            return package_metadata.version(package)
        except package_metadata.PackageNotFoundError:
            return None

    return {"keras_version": version("keras"),
            "tensorflow_version": version("tensorflow-cpu") or version("tensorflow")}


class ModelStore:
    def __init__(self, root: Path | None = None, bundled_root: Path | None | str = "default",
                 room=None, max_params: int | None = None, shelf=None, owner: str | None = None):
        self.root = Path(root) if root is not None else models_dir()
        self.shelf = shelf  # the class's published models (nn.storage.class_shelf.ClassShelf)
        self.owner = owner  # the workspace whose models these are, for publishing
        self.room = room  # its owner's quota: room(bytes) checks and holds it (nn.storage.quota.room)
        self.max_params = max_params  # the largest model its owner may upload (a class's server)
        if bundled_root == "default":
            bundled_root = bundled_models_dir()
        self.bundled_root = Path(bundled_root) if bundled_root is not None else None

    # --- listing ------------------------------------------------------------------------
    def _infos_in(self, folder: Path | None, bundled: bool) -> list[ModelInfo]:
        if folder is None or not folder.is_dir():
            return []
        infos = []
        paths = [p for suffix in kinds.model_suffixes() for p in folder.glob(f"*{suffix}")]
        for path in sorted(paths, key=lambda p: p.stem):
            if path.name.startswith("."):
                continue  # a temp file of an unfinished save
            infos.append(ModelInfo(path.stem, path, self._read_metadata(path), bundled))
        return infos

    @staticmethod
    def _read_metadata(path: Path) -> dict:
        try:
            data = json.loads(path.with_suffix(".json").read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def list(self) -> list[ModelInfo]:
        """Bundled models first, then the user's, by name, then the class's."""
        return self._bundled_and_own() + (self.shelf.infos() if self.shelf else [])

    def own_model(self, name: str) -> ModelInfo | None:
        """One of the user's own models by name, looked up directly (the class's shelf asks for
        one model of each person who shared one, on every page)."""
        if not NAME_PATTERN.fullmatch(name) or ".." in name:
            return None
        for suffix in kinds.model_suffixes():
            path = self.root / f"{name}{suffix}"
            if path.is_file():
                return ModelInfo(name, path, self._read_metadata(path))
        return None

    def _bundled_and_own(self) -> list[ModelInfo]:
        bundled = self._infos_in(self.bundled_root, bundled=True)
        taken = {info.name for info in bundled}
        return bundled + [i for i in self._infos_in(self.root, bundled=False) if i.name not in taken]

    def get(self, name: str) -> ModelInfo:
        for info in self.list():
            if info.name == name:
                return info
        known = ", ".join(info.name for info in self.list()) or "none"
        raise StoreError(said("no model named {name}; saved models: {known}", name=repr(name), known=known))

    # --- the active model ---------------------------------------------------------------------
    def active_name(self) -> str | None:
        """The model Draw, Evaluate and the command line use when none is named: the one made
        active last while it is still here, else the bundled best MNIST model, else the first."""
        try:
            chosen = json.loads((self.root / ACTIVE_FILE).read_text()).get("name")
        except (OSError, ValueError, AttributeError):
            chosen = None
        names = [info.name for info in self.list()]
        for name in (chosen, DEFAULT_MODEL):
            if name in names:
                return name
        return names[0] if names else None

    def make_active(self, name: str) -> ModelInfo:
        """Keep `name` as the workspace's active model (every tab, after a reload, the CLI)."""
        info = self.get(name)
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomic(self.root / ACTIVE_FILE, lambda tmp: tmp.write_text(json.dumps({"name": info.name})))
        return info

    def resolve(self, name_or_path: str | None) -> ModelInfo:
        """A stored model by name, or any model file by path; None means the active model."""
        if not name_or_path:
            name = self.active_name()
            if name is None:
                raise StoreError(said("there are no models yet: train one (nn train) or import one"))
            return self.get(name)
        candidate = Path(name_or_path)
        if candidate.suffix in kinds.model_suffixes() and candidate.exists():
            try_model_file(candidate)  # any file: tried in a process of its own first
            return ModelInfo(candidate.stem, candidate, self._read_metadata(candidate))
        return self.get(str(name_or_path))

    def load(self, name_or_path: str | None = None):
        return kinds.load_model_file(self.resolve(name_or_path).path)

    # --- writing ------------------------------------------------------------------------
    def unique_name(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`... whichever is free."""
        check_name(base)
        taken = {info.name for info in self.list()}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        return name

    def save(self, model, name: str, metadata: dict | None = None) -> ModelInfo:
        """Save a new model. An existing name is refused, never silently overwritten."""
        kind = kinds.of_model(model)
        return self._store(name, kind.suffix, lambda p: kind.save(model, p), metadata)

    def save_file(self, source: Path, name: str, metadata: dict | None = None) -> ModelInfo:
        """Store a copy of a model file that is already written (a run's result), as `name`."""
        kind = kinds.of_file(Path(source))
        return self._store(name, kind.suffix, lambda p: shutil.copyfile(source, p), metadata)

    def _store(self, name: str, suffix: str, write, metadata: dict | None) -> ModelInfo:
        """Write the model through `write(path)` and claim `name` for it.

        The model file is claimed with an exclusive hard link, so two saves under one name at
        the same moment cannot both win; the metadata is then renamed into place. Both happen
        under the owner's quota lock, with the files' size checked against it.
        """
        check_name(name)
        if self.bundled_root and self._taken(self.bundled_root, name) and \
                self.bundled_root.resolve() != self.root.resolve():
            raise StoreError(said("{name} is the name of a bundled model; choose another name",
                                  name=repr(name)))
        with self._room(0):  # refused before anything is written, when it is full already
            pass
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the model folder {self.root}: {e.strerror}") from None
        target = self.root / f"{name}{suffix}"
        meta = {**(metadata or {}), "name": name, "model_id": secrets.token_hex(8),
                "created": datetime.now(UTC).isoformat(timespec="seconds"), **_versions()}
        try:
            tmp_model = temp_beside(target, write)
            tmp_meta = temp_beside(target.with_suffix(".json"),
                                   lambda p: p.write_text(json.dumps(meta, indent=1)))
        except OSError as e:
            raise StoreError(f"cannot write to {self.root}: {e.strerror}") from None
        try:
            with self._room(tmp_model.stat().st_size + tmp_meta.stat().st_size):
                self._claim(tmp_model, target, name)
                os.replace(tmp_meta, target.with_suffix(".json"))
        finally:
            tmp_model.unlink(missing_ok=True)
            tmp_meta.unlink(missing_ok=True)
        return ModelInfo(name, target, meta)

    def _claim(self, tmp_model: Path, target: Path, name: str) -> None:
        taken = StoreError(f"a model named {name!r} already exists; choose another name")
        try:
            os.link(tmp_model, target)  # fails if the name is taken, atomically
        except FileExistsError:
            raise taken from None
        finally:
            tmp_model.unlink(missing_ok=True)
        if self._taken(self.root, name, besides=target):  # the same name in another format
            target.unlink(missing_ok=True)
            raise taken

    def check_room(self) -> None:
        """Refuse (StoreError) when its owner may not add a model now: a full workspace, a guest."""
        with self._room(0):
            pass

    def _room(self, adding_bytes: int):
        """Its owner's room for `adding_bytes` more, held while the block writes them."""
        return self.room(adding_bytes) if self.room else nullcontext()

    @staticmethod
    def _taken(folder: Path, name: str, besides: Path | None = None) -> bool:
        """A model file of this name exists in `folder` (other than `besides`)."""
        return any((folder / f"{name}{suffix}").exists() and folder / f"{name}{suffix}" != besides
                   for suffix in kinds.model_suffixes())

    # --- the class -------------------------------------------------------------------------
    def publish(self, name: str, title: str | None = None):
        """Publish one of the user's models to the class under `title`."""
        return self._shelf().publish(self.owner, name, title)

    def unpublish(self, name: str, teacher: bool = False):
        return self._shelf().unpublish(name, self.owner, teacher)

    def published(self, name: str):
        """The class's record of one of the user's models, or None."""
        return self._shelf().of_model(self.owner, name) if self.shelf else None

    def _shelf(self):
        if self.shelf is None or self.owner is None:
            raise StoreError(said("these models belong to no class"))
        return self.shelf

    def import_file(self, source: Path, name: str, metadata: dict | None = None) -> ModelInfo:
        """Store an uploaded model file under `name` once its trial (safe mode, shapes, one answer)
        has passed."""
        check_name(name)
        self.check_room()  # a full workspace (or a guest's) is told so before the trial's seconds
        tried = try_model_file(Path(source))  # in a process of its own first: a crash there is a refusal
        if self.max_params is not None and tried["params"] > self.max_params:
            raise ModelLoadError(said("{file} has {params} parameters; this server takes models of up to "
                                      "{most}", file=Path(source).name, params=tried["params"],
                                      most=self.max_params))
        if tried.get("classes", 10) != 10:  # nothing says what its classes are called
            raise ModelLoadError(said("{file} answers with {classes} classes; a model uploaded here must "
                                      "read MNIST's ten digits or Fashion-MNIST's ten garments (one of your "
                                      "own data sets is trained here, on the Train page)",
                                      file=Path(source).name, classes=tried["classes"]))
        # Stored as it came: loading it here would cost this process what the trial just spent.
        return self.save_file(Path(source), name, {"dataset": "mnist", "uploaded": True,
                                                   "params": tried["params"], **(metadata or {})})

    def delete(self, name: str) -> None:
        """Delete one of the user's models (and so take it off the class's shelf)."""
        info = self.get(name)
        if info.bundled:
            raise StoreError(said("{name} is a bundled model and cannot be deleted", name=repr(name)))
        if info.shared:
            raise StoreError(said("{name} is {person}'s model, published to the class: only they can "
                                  "delete it", name=repr(name), person=info.shared["by"]))
        info.path.with_suffix(".json").unlink(missing_ok=True)
        info.path.unlink(missing_ok=True)
