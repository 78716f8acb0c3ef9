"""Workspaces: each person's saved models, drawings and runs, in folders of their own.

Local use is one workspace, `local`, whose files sit directly in the data folders (nn.storage.paths), as
they always have. On a shared server (DIGITLAB_WORKSPACES=per-user) each person gets a workspace
in `<folder>/workspaces/<id>/`: from their login, or from an unguessable token in their page's
address. The folder's name is a hash, so the token itself is never written to disk and cannot be
read back from a folder listing. Bundled models are shared and read-only.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nn import settings
from nn.errors import DigitLabError
from nn.limits import (
    PLAIN_PUNCTUATION,
    is_plain,
)
from nn.storage import paths
from nn.storage.files import write_atomic
from nn.storage.locks import waiting_for

LOCAL = "local"
SINGLE, PER_USER = "single", "per-user"
MODES = (SINGLE, PER_USER)
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SUBFOLDER = "workspaces"
CLASS_FOLDER = "class"  # under the models folder: the class's shelf of published models
PERSON_FILE = ".person.json"  # in a workspace's models folder: the name the class knows them by
MAX_PERSON_NAME = 40
LOGIN_PREFIX = "u"  # a login's workspace is u-<hash> (nn.storage.tokens.from_login); a token's, t-<hash>
ROOM_LOCK = ".room.lock"  # in a workspace's runs folder: one write at a time against its quota


class WorkspaceError(DigitLabError, ValueError):
    pass


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


@dataclass(frozen=True)
class Workspace:
    id: str

    def __post_init__(self):
        if not isinstance(self.id, str) or not ID_PATTERN.fullmatch(self.id):
            raise WorkspaceError(f"invalid workspace {self.id!r}: use 1-64 letters, digits, '-' or '_'")

    @property
    def is_local(self) -> bool:
        return self.id == LOCAL

    @property
    def is_logged_in(self) -> bool:
        """A person's login workspace (from_login), not a token's."""
        return self.id.startswith(f"{LOGIN_PREFIX}-")

    @property
    def is_guest(self) -> bool:
        """A token's workspace on a server where training needs a login: a guest draws and looks,
        and keeps, shares and names nothing."""
        return not self.is_local and not self.is_logged_in and train_needs_login()

    def folder(self, root: Path) -> Path:
        """This workspace's folder under one of the data folders."""
        return Path(root) if self.is_local else Path(root) / SUBFOLDER / self.id

    @property
    def models_dir(self) -> Path:
        return self.folder(paths.models_dir())

    @property
    def drawings_dir(self) -> Path:
        return self.folder(paths.drawings_dir())

    @property
    def runs_dir(self) -> Path:
        return self.folder(paths.runs_dir())

    def models(self):
        """This person's models, the bundled ones and the class's."""
        from nn.storage.saved_models import ModelStore

        return ModelStore(self.models_dir, room=self.room, max_params=model_params_limit(),
                          shelf=class_shelf(self), owner=self.id)

    def own_models(self):
        """This person's models (and the bundled ones), without the class's."""
        from nn.storage.saved_models import ModelStore

        return ModelStore(self.models_dir)

    @property
    def person(self) -> str:
        """How the class knows this person: the name they gave or their login's, else a short code."""
        try:
            name = json.loads((self.models_dir / PERSON_FILE).read_text()).get("name")
        except (OSError, ValueError, AttributeError):
            name = None
        if isinstance(name, str) and name.strip():
            return name.strip()
        return "you" if self.is_local else f"person {self.id[2:8]}"

    def has_name(self) -> bool:
        return (self.models_dir / PERSON_FILE).exists()

    def set_person(self, name: str) -> str:
        """Keep the name this person goes by in the class: their login's, or (without a login) one
        they chose, which may not be a logged-in person's. A guest has none."""
        text = str(name)
        name = " ".join(text.split()) if len(text) <= 4 * MAX_PERSON_NAME else ""  # a form can send MB
        if not 1 <= len(name) <= MAX_PERSON_NAME or not is_plain(name):
            raise WorkspaceError(f"a name needs 1 to {MAX_PERSON_NAME} characters: letters, digits, spaces "
                                 f"and {PLAIN_PUNCTUATION.strip()}, starting with a letter or digit")
        if self.is_guest:
            raise WorkspaceError("guests do not name themselves: log in, and the class knows you by your "
                                 "login's name")
        if not self.is_logged_in and name.casefold() in login_names():
            raise WorkspaceError("someone in this class logs in with that name: choose another")
        self.models_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.models_dir / PERSON_FILE, lambda tmp: tmp.write_text(json.dumps({"name": name})))
        return name

    def drawings(self):
        from nn.storage.drawings import DrawingStore

        return DrawingStore(self.drawings_dir, room=self.room)

    def disk_mb(self) -> float:
        """What this person keeps: their models, runs and drawings."""
        total = 0
        for folder in (self.models_dir, self.runs_dir, self.drawings_dir):
            for root, _, names in os.walk(folder):
                for name in names:
                    if name.startswith("."):  # a write under way (nn.storage.files), a lock
                        continue
                    try:
                        total += os.stat(os.path.join(root, name)).st_size
                    except OSError:  # renamed or removed meanwhile (a temp file, a run removed)
                        pass
        return total / 2**20

    @contextmanager
    def room(self, adding_bytes: int = 0):
        """`with workspace.room(n):` checks that this person may keep `n` bytes more, then holds
        their workspace's lock while the block writes them: two writes at once cannot both pass
        one check (WorkspaceError when there is no room)."""
        with waiting_for(self.folder(paths.runs_dir()) / ROOM_LOCK):
            self.check_room(adding_bytes)
            yield

    def check_room(self, adding_bytes: int = 0) -> None:
        """Raise WorkspaceError when this person would keep more than one may on a class's server
        (DIGITLAB_MAX_WORKSPACE_MB); nothing on one's own."""
        if self.is_guest:
            raise WorkspaceError("guests draw and look around; log in (in the sidebar) to keep models, "
                                 "drawings and runs of your own")
        bound = class_limit("DIGITLAB_MAX_WORKSPACE_MB")
        if self.is_local or bound is None:
            return
        used, adding = self.disk_mb(), adding_bytes / 2**20
        if used >= bound or used + adding > bound:
            this = f" and this would add {adding:,.1f} MB" if used < bound else ""
            raise WorkspaceError(f"your models, runs and drawings take {used:,.1f} MB{this}; the most one "
                                 f"person may keep on this server is {bound:,} MB: delete models or runs "
                                 "you no longer need")


LOCAL_WORKSPACE = Workspace(LOCAL)
A_CLASSMATE = "a classmate"  # who made a shared model, as a guest sees it


def login_names() -> set[str]:
    """The names (casefolded) of the people who log in to this server."""
    others = paths.models_dir() / SUBFOLDER
    found = others.glob(f"{LOGIN_PREFIX}-*/{PERSON_FILE}") if others.is_dir() else []
    return {Workspace(p.parent.name).person.casefold() for p in found if ID_PATTERN.fullmatch(p.parent.name)}


def class_shelf(viewer: Workspace | None = None):
    """The models people of this server have published to the class (nn.storage.class_shelf), as
    `viewer` sees them: a guest sees no one's name."""
    from nn.storage.class_shelf import ClassShelf

    guest = viewer is not None and viewer.is_guest
    return ClassShelf(paths.models_dir() / CLASS_FOLDER, models_of=lambda w: Workspace(w).own_models(),
                      person_of=(lambda w: A_CLASSMATE) if guest else (lambda w: Workspace(w).person),
                      shares=lambda w: not Workspace(w).is_guest)


def every_workspace(root: Path) -> list[Workspace]:
    """The local workspace and every other one that has a folder under `root`."""
    others = Path(root) / SUBFOLDER
    found = [LOCAL_WORKSPACE]
    if others.is_dir():
        found += [Workspace(p.name) for p in sorted(others.iterdir())
                  if p.is_dir() and ID_PATTERN.fullmatch(p.name)]
    return found
