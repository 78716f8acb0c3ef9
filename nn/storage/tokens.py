"""Workspaces without a login: the unguessable tokens in people's page addresses, signed by the
class's servers and handed out within what a server gives; and the workspace a token or a
login names (a hash of it, so that no token is ever written to disk).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

from nn import settings
from nn.storage import paths
from nn.storage.class_rules import PER_USER, mode, train_needs_login
from nn.storage.files import secret_file
from nn.storage.locks import waiting_for
from nn.storage.workspaces import LOGIN_PREFIX, Workspace, WorkspaceError

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")  # secrets.token_urlsafe(16) is 22 characters


def _hashed(prefix: str, text: str) -> Workspace:
    return Workspace(f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:32]}")


SECRET_FILE = ".workspace-secret"  # in the runs folder, which every server of a class shares
RANDOM_PART = 22  # characters: secrets.token_urlsafe(16), 128 random bits
SIGNATURE_PART = 16  # characters of the server's HMAC of the random part


ISSUED_FILE = ".workspaces-issued"  # in the runs folder: when each token was handed out, a line each


def issue_token() -> str:
    """A new workspace for a person without a login, within what this server hands out: at most
    DIGITLAB_MAX_WORKSPACES in all and DIGITLAB_NEW_WORKSPACES_PER_HOUR an hour (each one is a
    person's quotas anew). Where training needs a login, a guest's workspace keeps nothing, so
    guests are not counted."""
    if mode() != PER_USER or train_needs_login():
        return new_token()
    most = settings.value("DIGITLAB_MAX_WORKSPACES", WorkspaceError)
    per_hour = settings.value("DIGITLAB_NEW_WORKSPACES_PER_HOUR", WorkspaceError)
    ledger = paths.runs_dir() / ISSUED_FILE
    with waiting_for(ledger.with_name(ISSUED_FILE + ".lock")):
        try:
            issued = [float(line) for line in ledger.read_text().split()]
        except (OSError, ValueError):
            issued = []
        now = time.time()
        recent = sorted(t for t in issued if t > now - 3600)
        if len(issued) >= most:
            raise WorkspaceError(f"this server has handed out all the {most} workspaces it gives without a "
                                 "login: open your own bookmarked address, or ask your teacher")
        if len(recent) >= per_hour:
            wait = max(1, round((recent[0] + 3600 - now) / 60))
            raise WorkspaceError(f"this server hands out {per_hour} new workspaces an hour and has no more "
                                 f"for about {wait} min: open your own bookmarked address, or come back "
                                 "later")
        with ledger.open("a") as f:
            f.write(f"{now:.3f}\n")
    return new_token()


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
