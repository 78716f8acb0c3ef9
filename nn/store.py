"""Saved models: `<name>.keras` (or `.npmlp` for the NumPy network) plus `<name>.json` metadata,
written atomically, loaded safely.

The user's store lives outside the repo (DIGITLAB_MODELS_DIR moves it); the bundled models in
assets/models/ are listed beside it, read-only. Loading checks the archive before Keras opens it,
uses Keras' safe mode (no code from the file runs), and checks the model reads 28x28 images and
returns 10 classes.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nn.files import ArchiveError, temp_beside, zip_entries
from nn.paths import bundled_models_dir, models_dir

MAX_MODEL_BYTES = 50 * 1024 * 1024  # a .keras file larger than this is refused
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # zip bombs: the archive's declared unpacked size
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_MODEL = "mnist-cnn-best"  # the bundled best MNIST model
KERAS_SUFFIX = ".keras"
NUMPY_SUFFIX = ".npmlp"  # nn.numpy_mlp's own format
MODEL_SUFFIXES = (KERAS_SUFFIX, NUMPY_SUFFIX)


class StoreError(Exception):
    """A model cannot be found, saved or loaded; the message says why."""


class ModelLoadError(StoreError):
    pass


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path  # the .keras or .npmlp file
    metadata: dict
    bundled: bool = False  # bundled models are read-only

    @property
    def dataset(self) -> str:
        return self.metadata.get("dataset") or "mnist"

    @property
    def test_accuracy(self) -> float | None:
        return self.metadata.get("test_accuracy")

    def row(self) -> dict:
        """One row of the model table, for people."""
        m = self.metadata
        return {
            "name": self.name,
            "dataset": self.dataset,
            "model": model_kind(m),
            "epochs": m.get("epochs_completed"),
            "test accuracy": m.get("test_accuracy"),
            "training seconds": m.get("seconds"),
            "created": m.get("created"),
            "bundled": self.bundled,
        }


def model_kind(metadata: dict) -> str:
    """'cnn-best', 'custom dense', 'fine-tuned mnist-cnn-best', or 'uploaded'."""
    if metadata.get("fine_tuned_from"):
        return f"fine-tuned {metadata['fine_tuned_from']}"
    if metadata.get("preset"):
        return metadata["preset"]
    if metadata.get("spec"):
        return f"custom {metadata['spec'].get('kind', '')}".strip()
    return "uploaded" if metadata.get("uploaded") else "unknown"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or ".." in name:
        raise StoreError(
            f"invalid model name {name!r}: use 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit (no paths, no '..')"
        )
    return name


def check_archive(path: Path) -> None:
    """Refuse what is not a plausible .keras archive before Keras reads any of it."""
    try:
        names = zip_entries(path, MAX_MODEL_BYTES, MAX_UNPACKED_BYTES,
                            "a Keras model file (.keras files are zip archives)")
    except ArchiveError as e:
        raise ModelLoadError(str(e)) from None
    if not {"config.json", "model.weights.h5"} <= set(names):
        raise ModelLoadError(
            f"{path.name} is a zip archive but not a Keras model "
            "(it lacks config.json or model.weights.h5)")


def check_io_shapes(model) -> None:
    """The model must read (n, 28, 28) or (n, 28, 28, 1) images and return 10 classes."""
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1 or tuple(inputs[0].shape[1:]) not in ((28, 28), (28, 28, 1)):
        shapes = [tuple(i.shape) for i in inputs]
        raise ModelLoadError(f"the model's input is {shapes}, expected 28x28 images")
    outputs = getattr(model, "outputs", None) or []
    if len(outputs) != 1 or tuple(outputs[0].shape[1:]) != (10,):
        shapes = [tuple(o.shape) for o in outputs]
        raise ModelLoadError(f"the model's output is {shapes}, expected 10 classes")


def model_suffix(model) -> str:
    """The file suffix a model is saved with."""
    from nn.numpy_mlp import NumpyMLP

    return NUMPY_SUFFIX if isinstance(model, NumpyMLP) else KERAS_SUFFIX


def load_model_file(path: Path):
    """Load a .keras file in safe mode (or a .npmlp file) and check its input and output.

    Raises ModelLoadError with the reason.
    """
    path = Path(path)
    if path.suffix == NUMPY_SUFFIX:
        from nn.numpy_mlp import NumpyModelError, load

        try:
            return load(path)
        except NumpyModelError as e:
            raise ModelLoadError(str(e)) from None
    check_archive(path)
    if path.suffix != KERAS_SUFFIX:  # Keras picks the format by the file name
        raise ModelLoadError(f"{path.name}: model files must end in .keras or .npmlp")
    import keras  # imported here so that listing models needs no TensorFlow

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - Keras raises many types for bad files
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if "safe_mode" in str(e) or "Lambda" in str(e):
            reason = "it contains code (a Lambda layer or a custom function), which is refused"
        raise ModelLoadError(f"{path.name} could not be loaded as a Keras model: {reason[:300]}") from None
    check_io_shapes(model)
    return model


def _versions() -> dict:
    import keras
    import tensorflow as tf

    return {"keras_version": keras.__version__, "tensorflow_version": tf.__version__}


class ModelStore:
    def __init__(self, root: Path | None = None, bundled_root: Path | None | str = "default"):
        self.root = Path(root) if root is not None else models_dir()
        if bundled_root == "default":
            bundled_root = bundled_models_dir()
        self.bundled_root = Path(bundled_root) if bundled_root is not None else None

    # --- listing ------------------------------------------------------------------------
    def _infos_in(self, folder: Path | None, bundled: bool) -> list[ModelInfo]:
        if folder is None or not folder.is_dir():
            return []
        infos = []
        paths = [p for suffix in MODEL_SUFFIXES for p in folder.glob(f"*{suffix}")]
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
        """Bundled models first, then the user's, by name."""
        bundled = self._infos_in(self.bundled_root, bundled=True)
        taken = {info.name for info in bundled}
        own = [i for i in self._infos_in(self.root, bundled=False) if i.name not in taken]
        return bundled + own

    def get(self, name: str) -> ModelInfo:
        for info in self.list():
            if info.name == name:
                return info
        known = ", ".join(info.name for info in self.list()) or "none"
        raise StoreError(f"no model named {name!r}; saved models: {known}")

    def resolve(self, name_or_path: str | None) -> ModelInfo:
        """A stored model by name, or any model file by path; None means the default model."""
        if not name_or_path:
            return self.get(DEFAULT_MODEL)
        candidate = Path(name_or_path)
        if candidate.suffix in MODEL_SUFFIXES and candidate.exists():
            return ModelInfo(candidate.stem, candidate, self._read_metadata(candidate))
        return self.get(str(name_or_path))

    def load(self, name_or_path: str | None = None):
        return load_model_file(self.resolve(name_or_path).path)

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
        """Save a new model. An existing name is refused, never silently overwritten.

        The model file is claimed with an exclusive hard link, so two saves under one name at
        the same moment cannot both win; the metadata is then renamed into place.
        """
        check_name(name)
        if self.bundled_root and self._taken(self.bundled_root, name) and \
                self.bundled_root.resolve() != self.root.resolve():
            raise StoreError(f"{name!r} is the name of a bundled model; choose another name")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the model folder {self.root}: {e.strerror}") from None
        target = self.root / f"{name}{model_suffix(model)}"
        meta = {**(metadata or {}), "name": name,
                "created": datetime.now(UTC).isoformat(timespec="seconds"), **_versions()}
        try:
            tmp_model = temp_beside(target, lambda p: model.save(p))
            tmp_meta = temp_beside(target.with_suffix(".json"),
                                     lambda p: p.write_text(json.dumps(meta, indent=1)))
        except OSError as e:
            raise StoreError(f"cannot write to {self.root}: {e.strerror}") from None
        try:
            os.link(tmp_model, target)  # fails if the name is taken, atomically
        except FileExistsError:
            tmp_meta.unlink(missing_ok=True)
            raise StoreError(f"a model named {name!r} already exists; choose another name") from None
        finally:
            tmp_model.unlink(missing_ok=True)
        if self._taken(self.root, name, besides=target):  # the same name in the other format
            target.unlink(missing_ok=True)
            tmp_meta.unlink(missing_ok=True)
            raise StoreError(f"a model named {name!r} already exists; choose another name")
        os.replace(tmp_meta, target.with_suffix(".json"))
        return ModelInfo(name, target, meta)

    @staticmethod
    def _taken(folder: Path, name: str, besides: Path | None = None) -> bool:
        """A model file of this name exists in `folder` (other than `besides`)."""
        return any((folder / f"{name}{suffix}").exists() and folder / f"{name}{suffix}" != besides
                   for suffix in MODEL_SUFFIXES)

    def import_file(self, source: Path, name: str, metadata: dict | None = None) -> ModelInfo:
        """Validate an uploaded model file (safe mode, shapes) and store it under `name`."""
        check_name(name)
        model = load_model_file(Path(source))
        meta = {"dataset": "mnist", "uploaded": True, **(metadata or {})}
        meta.setdefault("params", int(model.count_params()))
        return self.save(model, name, meta)

    def delete(self, name: str) -> None:
        info = self.get(name)
        if info.bundled:
            raise StoreError(f"{name!r} is a bundled model and cannot be deleted")
        info.path.with_suffix(".json").unlink(missing_ok=True)
        info.path.unlink(missing_ok=True)
