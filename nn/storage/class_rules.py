"""How this server treats people: one workspace for everything, or one per person (the mode,
DIGITLAB_WORKSPACES), and on a class's server the limits per person, which a teacher may change
while it runs, and whether training needs a login.
"""

from __future__ import annotations

import json
import os

from nn import settings
from nn.errors import WorkspaceError
from nn.storage import paths
from nn.storage.files import write_atomic

SINGLE, PER_USER = "single", "per-user"
MODES = (SINGLE, PER_USER)


def mode() -> str:
    """single (the default: everything in one workspace) or per-user (DIGITLAB_WORKSPACES)."""
    return settings.value("DIGITLAB_WORKSPACES", WorkspaceError)


def keep_private() -> None:
    """On a class's server, files and folders this process creates are for the server's user only
    (0600/0700): people's drawings and models are nobody else's on the machine either."""
    if mode() == PER_USER:
        os.umask(0o077)


CHANGEABLE_LIMITS = {name: s.parse.number for name, s in settings.changeable().items()}
LIMITS_FILE = ".class-limits.json"  # in the runs folder: a teacher's changes, for every server


def class_limit(variable: str) -> float | None:
    """A limit per person on a class's server (nn.settings): as a teacher set it while the server
    runs, else the variable's value, else its default; None, no limit, on one's own (single mode)."""
    if mode() != PER_USER:
        return None
    changed = changed_limits().get(variable)
    if changed is not None:
        return CHANGEABLE_LIMITS[variable](changed)
    return settings.value(variable, WorkspaceError)


def changed_limits() -> dict:
    try:
        changed = json.loads((paths.runs_dir() / LIMITS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in changed.items() if k in CHANGEABLE_LIMITS and isinstance(v, (int, float))
            and v > 0} if isinstance(changed, dict) else {}


def change_limit(variable: str, value: float) -> None:
    """A teacher's change of a class limit, from now on, for every server of the class."""
    if variable not in CHANGEABLE_LIMITS:
        raise WorkspaceError(f"{variable} cannot be changed while the server runs")
    number = CHANGEABLE_LIMITS[variable]
    if not isinstance(value, (int, float)) or value <= 0 or number(value) != value:
        raise WorkspaceError(f"{variable} must be a {'whole ' if number is int else ''}number above 0")
    changed = {**changed_limits(), variable: number(value)}
    paths.runs_dir().mkdir(parents=True, exist_ok=True)
    write_atomic(paths.runs_dir() / LIMITS_FILE, lambda tmp: tmp.write_text(json.dumps(changed)))


def train_needs_login() -> bool:
    """On a class's server with a login, whether training needs one (DIGITLAB_TRAIN_NEEDS_LOGIN=1):
    anyone may then draw and look without logging in, and a run is a person's, not a token's."""
    needs = settings.value("DIGITLAB_TRAIN_NEEDS_LOGIN", WorkspaceError)
    return mode() == PER_USER and needs


def model_params_limit() -> int | None:
    """The most parameters a network may have on a class's server, trained or uploaded."""
    return class_limit("DIGITLAB_MAX_MODEL_PARAMS")
