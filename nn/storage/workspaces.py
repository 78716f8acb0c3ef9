"""Workspaces: each person's saved models, drawings and runs, in folders of their own.

Local use is one workspace, `local`, whose files sit directly in the data folders (nn.storage.paths), as
they always have. On a shared server (DIGITLAB_WORKSPACES=per-user, nn.storage.class_rules) each
person gets a workspace
in `<folder>/workspaces/<id>/`: from their login, or from an unguessable token in their page's
address. The folder's name is a hash, so the token itself is never written to disk and cannot be
read back from a folder listing (nn.storage.tokens). Bundled models are shared and read-only.
Here too: the name the class knows a person by. What a person may keep: nn.storage.quota.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from nn.errors import WorkspaceError
from nn.limits import PLAIN_PUNCTUATION, is_plain
from nn.phrases import said
from nn.storage import paths, quota
from nn.storage.class_rules import model_params_limit, train_needs_login
from nn.storage.files import write_atomic

LOCAL = "local"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SUBFOLDER = "workspaces"
CLASS_FOLDER = "class"  # under the models folder: the class's shelf of published models
PERSON_FILE = ".person.json"  # in a workspace's models folder: the name the class knows them by
MAX_PERSON_NAME = 40
LOGIN_PREFIX = "u"  # a login's workspace is u-<hash> (nn.storage.tokens.from_login); a token's, t-<hash>


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

        return ModelStore(self.models_dir, room=functools.partial(quota.room, self),
                          max_params=model_params_limit(),
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
            raise WorkspaceError(said("a name needs 1 to {most} characters: letters, digits, spaces and "
                                      "{punctuation}, starting with a letter or digit", most=MAX_PERSON_NAME,
                                      punctuation=PLAIN_PUNCTUATION.strip()))
        if self.is_guest:
            raise WorkspaceError(said("guests do not name themselves: log in, and the class knows you by "
                                      "your login's name"))
        if not self.is_logged_in and name.casefold() in login_names():
            raise WorkspaceError(said("someone in this class logs in with that name: choose another"))
        self.models_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.models_dir / PERSON_FILE, lambda tmp: tmp.write_text(json.dumps({"name": name})))
        return name

    def drawings(self):
        from nn.storage.drawings import DrawingStore

        return DrawingStore(self.drawings_dir, room=functools.partial(quota.room, self))

    def datasets(self):
        """This person's own data sets (nn.storage.own_datasets)."""
        from nn.storage.own_datasets import DatasetStore

        return DatasetStore(self.drawings_dir, room=functools.partial(quota.room, self))

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


def class_datasets():
    """The class's data sets (nn.storage.own_datasets): the teacher makes them, everyone adds to them."""
    from nn.storage.own_datasets import DatasetStore

    return DatasetStore(paths.drawings_dir() / CLASS_FOLDER, of_class=True)


def every_workspace(root: Path) -> list[Workspace]:
    """The local workspace and every other one that has a folder under `root`."""
    others = Path(root) / SUBFOLDER
    found = [LOCAL_WORKSPACE]
    if others.is_dir():
        found += [Workspace(p.name) for p in sorted(others.iterdir())
                  if p.is_dir() and ID_PATTERN.fullmatch(p.name)]
    return found
