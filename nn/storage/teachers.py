"""Who is a teacher on a class's server: with Streamlit's login, the e-mail addresses in
DIGITLAB_TEACHERS, once the login's provider has verified them; without one, whoever opens the
teacher link the server prints when it starts (`/class?teacher=<token>`, a secret kept in the runs
folder, readable by the server's user alone). `new_link` makes a new secret: every session opened
with the old one stops being a teacher's at its next page."""

from __future__ import annotations

import hmac
import secrets

from nn import settings
from nn.storage import paths
from nn.storage.files import replace_secret, secret_file

TOKEN_FILE = ".teacher-token"
PARAM = "teacher"
CLASS_PAGE = "class"  # the Class page's address (app.py): the link opens there


def emails() -> set[str]:
    """DIGITLAB_TEACHERS: e-mail addresses, separated by commas or spaces."""
    return set(settings.value("DIGITLAB_TEACHERS"))


def is_teacher_email(email: str | None) -> bool:
    return bool(email) and str(email).strip().lower() in emails()


def is_teacher_login(email: str | None, email_verified) -> bool:
    """A login is a teacher's when its e-mail is listed and its provider says it verified that
    address: where people register or edit their own e-mail, an unverified claim proves nothing."""
    return is_teacher_email(email) and email_verified in (True, "true")


def token() -> str:
    """The teacher link's secret, made by the first server that needs it."""
    return secret_file(paths.runs_dir() / TOKEN_FILE, lambda: secrets.token_urlsafe(24).encode()).decode()


def new_link(base_url: str) -> str:
    """A new teacher link; the old one, and every session opened with it, no longer works."""
    replace_secret(paths.runs_dir() / TOKEN_FILE, secrets.token_urlsafe(24).encode())
    return link(base_url)


def is_teacher_token(text: str | None) -> bool:
    return isinstance(text, str) and bool(text) and hmac.compare_digest(text.encode(), token().encode())


def link(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/{CLASS_PAGE}?{PARAM}={token()}"  # it opens on the Class page
