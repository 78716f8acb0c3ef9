"""Where Digit Lab keeps its files: data, models, drawings and runs outside the repo, movable by
environment. Each folder holds the local workspace's files, and other people's workspaces in its
`workspaces/` subfolder (nn.storage.workspaces)."""

from __future__ import annotations

import os
from pathlib import Path

from nn import settings

REPO_ROOT = Path(__file__).resolve().parents[2]  # nn/storage/paths.py
BUNDLED_MODELS_DIR = REPO_ROOT / "assets" / "models"


def bundled_models_dir() -> Path:
    """The read-only bundled models; DIGITLAB_BUNDLED_DIR moves it (the script that makes them
    points it at an empty folder so that it can produce models of the same names again)."""
    return settings.value("DIGITLAB_BUNDLED_DIR") or BUNDLED_MODELS_DIR


def _user_dir(setting: str, xdg_var: str, fallback: str, leaf: str) -> Path:
    chosen = settings.value(setting)
    if chosen:
        return chosen
    base = os.environ.get(xdg_var) or str(Path.home() / fallback)
    return Path(base) / "digitlab" / leaf


def data_dir() -> Path:
    """Cached datasets (.npz); DIGITLAB_DATA_DIR moves it."""
    return _user_dir("DIGITLAB_DATA_DIR", "XDG_CACHE_HOME", ".cache", "data")


def inside_cache_dir() -> Path:
    """What nn.inside computes once per model file (features, maps); DIGITLAB_INSIDE_DIR moves it."""
    return _user_dir("DIGITLAB_INSIDE_DIR", "XDG_CACHE_HOME", ".cache", "inside")


def exports_dir() -> Path:
    """Models exported once per file (nn.export: ONNX for the browser, .tflite); DIGITLAB_EXPORTS_DIR
    moves it."""
    return _user_dir("DIGITLAB_EXPORTS_DIR", "XDG_CACHE_HOME", ".cache", "exports")


def models_dir() -> Path:
    """Saved models; DIGITLAB_MODELS_DIR moves it."""
    return _user_dir("DIGITLAB_MODELS_DIR", "XDG_DATA_HOME", ".local/share", "models")


def drawings_dir() -> Path:
    """Labelled drawings ("my drawings"); DIGITLAB_DRAWINGS_DIR moves it."""
    return _user_dir("DIGITLAB_DRAWINGS_DIR", "XDG_DATA_HOME", ".local/share", "drawings")


def runs_dir() -> Path:
    """Training runs; DIGITLAB_RUNS_DIR moves it. By default it sits beside the models folder."""
    return settings.value("DIGITLAB_RUNS_DIR") or models_dir().parent / "runs"
