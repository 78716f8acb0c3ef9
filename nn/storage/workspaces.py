"""Workspaces: each person's saved models, drawings and runs, in folders of their own.

Local use is one workspace, `local`, whose files sit directly in the data folders (nn.storage.paths), as
they always have. On a shared server (DIGITLAB_WORKSPACES=per-user) each person gets a workspace
in `<folder>/workspaces/<id>/`: from their login, or from an unguessable token in their page's
address. The folder's name is a hash, so the token itself is never written to disk and cannot be
read back from a folder listing. Bundled models are shared and read-only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from nn.errors import DigitLabError
from nn.limits import MAX_MODEL_PARAMS, MAX_WORKSPACE_MB, PLAIN_PUNCTUATION, is_plain, setting
from nn.storage import paths
from nn.storage.files import secret_file, write_atomic

LOCAL = "local"
SINGLE, PER_USER = "single", "per-user"
MODES = (SINGLE, PER_USER)
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")  # secrets.token_urlsafe(16) is 22 characters
SUBFOLDER = "workspaces"
CLASS_FOLDER = "class"  # under the models folder: the class's shelf of published models
PERSON_FILE = ".person.json"  # in a workspace's models folder: the name the class knows them by
MAX_PERSON_NAME = 40
LOGIN_PREFIX = "u"  # a login's workspace is u-<hash>; a token's, t-<hash>


class WorkspaceError(DigitLabError, ValueError):
    pass


def mode() -> str:
    """single (the default: everything in one workspace) or per-user (DIGITLAB_WORKSPACES)."""
    value = os.environ.get("DIGITLAB_WORKSPACES", SINGLE).strip() or SINGLE
    if value not in MODES:
        raise WorkspaceError(f"DIGITLAB_WORKSPACES must be {' or '.join(MODES)}, not {value!r}")
    return value


def keep_private() -> None:
    """On a class's server, files and folders this process creates are for the server's user only
    (0600/0700): people's drawings and models are nobody else's on the machine either."""
    if mode() == PER_USER:
        os.umask(0o077)


CHANGEABLE_LIMITS = {"DIGITLAB_MAX_RUNS_PER_PERSON": int, "DIGITLAB_MAX_RUN_MINUTES": float}
LIMITS_FILE = ".class-limits.json"  # in the runs folder: a teacher's changes, for every server


def class_limit(variable: str, default: float, number: type = int) -> float | None:
    """A limit per person on a class's server: as a teacher set it while the server runs, else the
    variable's value (a number above 0), else `default`; None, no limit, on one's own (single mode)."""
    if mode() != PER_USER:
        return None
    changed = changed_limits().get(variable)
    return number(changed) if changed is not None else setting(variable, default, number, WorkspaceError)


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
    value = os.environ.get("DIGITLAB_TRAIN_NEEDS_LOGIN", "0").strip() or "0"
    if value not in ("0", "1"):
        raise WorkspaceError(f"DIGITLAB_TRAIN_NEEDS_LOGIN must be 0 or 1, not {value!r}")
    return mode() == PER_USER and value == "1"


def model_params_limit() -> int | None:
    """The most parameters a network may have on a class's server, trained or uploaded."""
    return class_limit("DIGITLAB_MAX_MODEL_PARAMS", MAX_MODEL_PARAMS)


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

        return ModelStore(self.models_dir, room=self.check_room, max_params=model_params_limit(),
                          shelf=class_shelf(), owner=self.id)

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
        """Keep the name this person goes by in the class (from their login, or chosen once)."""
        name = " ".join(str(name).split())
        if not 1 <= len(name) <= MAX_PERSON_NAME or not is_plain(name):
            raise WorkspaceError(f"a name needs 1 to {MAX_PERSON_NAME} characters: letters, digits, spaces "
                                 f"and {PLAIN_PUNCTUATION.strip()}, starting with a letter or digit")
        self.models_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.models_dir / PERSON_FILE, lambda tmp: tmp.write_text(json.dumps({"name": name})))
        return name

    def drawings(self):
        from nn.storage.drawings import DrawingStore

        return DrawingStore(self.drawings_dir, room=self.check_room)

    def disk_mb(self) -> float:
        """What this person keeps: their models, runs and drawings."""
        folders = (self.models_dir, self.runs_dir, self.drawings_dir)
        return sum(f.stat().st_size for folder in folders if folder.is_dir()
                   for f in folder.rglob("*") if f.is_file()) / 2**20

    def check_room(self) -> None:
        """Raise WorkspaceError when this person keeps as much as one may on a class's server
        (DIGITLAB_MAX_WORKSPACE_MB, default MAX_WORKSPACE_MB); nothing on one's own."""
        bound = class_limit("DIGITLAB_MAX_WORKSPACE_MB", MAX_WORKSPACE_MB)
        if self.is_local or bound is None:
            return
        used = self.disk_mb()
        if used >= bound:
            raise WorkspaceError(f"your models, runs and drawings take {used:,.0f} MB, the most one person "
                                 f"may keep on this server ({bound:,} MB): delete models or runs you no "
                                 "longer need")


LOCAL_WORKSPACE = Workspace(LOCAL)


def class_shelf():
    """The models people of this server have published to the class (nn.storage.class_shelf)."""
    from nn.storage.class_shelf import ClassShelf

    return ClassShelf(paths.models_dir() / CLASS_FOLDER, models_of=lambda w: Workspace(w).own_models(),
                      person_of=lambda w: Workspace(w).person)


def _hashed(prefix: str, text: str) -> Workspace:
    return Workspace(f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:32]}")


SECRET_FILE = ".workspace-secret"  # in the runs folder, which every server of a class shares
RANDOM_PART = 22  # characters: secrets.token_urlsafe(16), 128 random bits
SIGNATURE_PART = 16  # characters of the server's HMAC of the random part


def new_token() -> str:
    """An unguessable token for a person without a login (128 random bits), signed by the server:
    only the server makes workspaces, so a made-up string is not one."""
    random_part = secrets.token_urlsafe(16)
    return random_part + _signature(random_part)


def is_issued(token: str | None) -> bool:
    """Whether the server issued `token`: its signature checks out, or (a token from before they
    were signed) its workspace already exists."""
    if not is_token(token):
        return False
    if len(token) == RANDOM_PART + SIGNATURE_PART:
        return hmac.compare_digest(token[RANDOM_PART:], _signature(token[:RANDOM_PART]))
    workspace = from_token(token)
    roots = (paths.runs_dir(), paths.models_dir(), paths.drawings_dir())
    return len(token) == RANDOM_PART and any(workspace.folder(root).is_dir() for root in roots)


def _signature(random_part: str) -> str:
    digest = hmac.new(_secret(), random_part.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_PART]


def _secret() -> bytes:
    """The servers' signing key, made by the first one that needs it (readable by it alone)."""
    return secret_file(paths.runs_dir() / SECRET_FILE, lambda: secrets.token_bytes(32))


def is_token(text: str | None) -> bool:
    return isinstance(text, str) and bool(TOKEN_PATTERN.fullmatch(text))


def from_token(token: str) -> Workspace:
    if not is_token(token):
        raise WorkspaceError("that workspace address is not valid")
    return _hashed("t", token)


def from_login(issuer: str, subject: str) -> Workspace:
    """The workspace of a logged-in person: their identity provider's subject, hashed."""
    if not subject:
        raise WorkspaceError("the login gave no user id")
    return _hashed(LOGIN_PREFIX, f"{issuer}\n{subject}")


def every_workspace(root: Path) -> list[Workspace]:
    """The local workspace and every other one that has a folder under `root`."""
    others = Path(root) / SUBFOLDER
    found = [LOCAL_WORKSPACE]
    if others.is_dir():
        found += [Workspace(p.name) for p in sorted(others.iterdir())
                  if p.is_dir() and ID_PATTERN.fullmatch(p.name)]
    return found
