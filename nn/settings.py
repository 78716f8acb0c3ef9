"""Every setting of Digit Lab that comes from the environment, in one place: a `DIGITLAB_*`
variable, its type, its default and what it means. Nothing else in the project reads them
(tests/test_settings.py checks it, and that docs/settings.md lists exactly these).

    value("DIGITLAB_MAX_TRAININGS")   # the typed value, or the default; a SettingError if it is bad

The environment is read at each call, so that a server started with a variable, and a test that
sets one, see it. Those marked `changeable` a teacher may also change on the Class page while the
server runs (nn.storage.class_rules.change_limit keeps the change, which then wins).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nn import limits
from nn.errors import DigitLabError


class SettingError(DigitLabError, ValueError):
    """A variable's value that the setting cannot take; the message names both."""


def _above_zero(number: type) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = number(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise ValueError(f"a {'whole ' if number is int else ''}number above 0")
        return value
    parse.number = number  # what a teacher's change is kept as
    return parse


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(" or ".join(choices))
        return text
    return parse


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("0 or 1")
    return text == "1"


def _emails(text: str) -> frozenset[str]:
    return frozenset(e.strip().lower() for e in text.replace(",", " ").split() if e.strip())


def _folder(text: str) -> Path:
    return Path(text).expanduser()


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], object]  # the variable's text (stripped, not empty) -> its value
    default: object  # when the variable is unset or empty; None: worked out where it is used
    meaning: str  # one line, as docs/settings.md shows it
    changeable: bool = False  # a teacher may change it while the server runs


SETTINGS: tuple[Setting, ...] = (
    # --- where files go (nn.storage.paths); unset: under XDG_DATA_HOME or XDG_CACHE_HOME ----------
    Setting("DIGITLAB_DATA_DIR", _folder, None, "the downloaded data sets (.npz); a cache"),
    Setting("DIGITLAB_MODELS_DIR", _folder, None, "saved models, and other people's under workspaces/"),
    Setting("DIGITLAB_RUNS_DIR", _folder, None, "training runs and the queue (default: beside the models)"),
    Setting("DIGITLAB_DRAWINGS_DIR", _folder, None, "labelled drawings (\"my drawings\")"),
    Setting("DIGITLAB_INSIDE_DIR", _folder, None, "what the inside views compute per model file; a cache"),
    Setting("DIGITLAB_EXPORTS_DIR", _folder, None, "ONNX and LiteRT exports, once per model file; a cache"),
    Setting("DIGITLAB_BUNDLED_DIR", _folder, None, "the bundled models (default: assets/models)"),
    # --- a class's server (nn.storage.workspaces, nn.storage.teachers) ----------------------------
    Setting("DIGITLAB_WORKSPACES", _one_of("single", "per-user"), "single",
            "single: one workspace for everything; per-user: a class's server, a workspace per person"),
    Setting("DIGITLAB_TEACHERS", _emails, frozenset(),
            "teachers' e-mail addresses (commas or spaces), once the login has verified them"),
    Setting("DIGITLAB_TRAIN_NEEDS_LOGIN", _flag, False,
            "1: on a class's server with a login, only those logged in may train"),
    Setting("DIGITLAB_MAX_RUNS_PER_PERSON", _above_zero(int), limits.MAX_RUNS_PER_PERSON,
            "a class's server: runs one person may have waiting or training at once", changeable=True),
    Setting("DIGITLAB_MAX_RUN_MINUTES", _above_zero(float), limits.MAX_RUN_MINUTES,
            "a class's server: the longest a run trains, in minutes; then it stops, its weights kept",
            changeable=True),
    Setting("DIGITLAB_MAX_MODEL_PARAMS", _above_zero(int), limits.MAX_MODEL_PARAMS,
            "a class's server: the largest network a run may train or an upload may hold"),
    Setting("DIGITLAB_MAX_WORKSPACE_MB", _above_zero(int), limits.MAX_WORKSPACE_MB,
            "a class's server: one person's models, runs and drawings, in MB"),
    Setting("DIGITLAB_MAX_WORKSPACES", _above_zero(int), limits.MAX_WORKSPACES,
            "a class's server without a login: new workspaces handed out in all"),
    Setting("DIGITLAB_NEW_WORKSPACES_PER_HOUR", _above_zero(int), limits.NEW_WORKSPACES_PER_HOUR,
            "a class's server without a login: new workspaces handed out an hour"),
    # --- training (nn.runs) ---------------------------------------------------------------------
    Setting("DIGITLAB_MAX_TRAININGS", _above_zero(int), None,
            "runs that train at once (default: this machine's cores and memory, or the Ray cluster's)"),
    Setting("DIGITLAB_RAY_ADDRESS", str, None, "host:port of a Ray cluster's head: runs train there"),
    Setting("DIGITLAB_RAY_CPUS_PER_RUN", _above_zero(float), 2, "a Ray cluster: CPUs one run takes"),
    Setting("DIGITLAB_WARM_UP", _flag, True,
            "0: the server does not warm the drawing's answer at start (tests that need a quiet start)"),
    # --- the tests' and benchmarks' browser (harness.browser) -------------------------------------
    Setting("DIGITLAB_CHROMIUM", str, "/usr/bin/chromium", "the Chromium that tests and benchmarks drive"),
    Setting("DIGITLAB_BROWSER_NICENESS", int, 5,
            "the niceness harness/chromium-niced starts Chromium at (harness.browser sets it for it)"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def value(name: str, error: type[DigitLabError] = SettingError):
    """The setting's value now: the variable's, parsed, or the default when it is unset or empty;
    `error` (a SettingError unless the caller's own kind of error) when it cannot be parsed."""
    setting = BY_NAME[name]
    text = os.environ.get(name, "").strip()
    if not text:
        return setting.default
    try:
        return setting.parse(text)
    except ValueError as e:
        raise error(f"{name} must be {e}, not {text!r}") from None


def changeable() -> dict[str, Setting]:
    return {s.name: s for s in SETTINGS if s.changeable}


def shown(default) -> str:
    """A default as a person would set it in the environment."""
    if default is None or default == frozenset():
        return "(unset)"
    if isinstance(default, bool):
        return "1" if default else "0"
    return f"{default:_}".replace("_", ",") if isinstance(default, int) else str(default)


def table() -> str:
    """The Markdown table of every setting, as docs/settings.md holds it."""
    rows = ["| variable | default | meaning | a teacher may change it while the server runs |",
            "|---|---|---|---|"]
    rows += [f"| `{s.name}` | {shown(s.default)} | {s.meaning} | {'yes' if s.changeable else ''} |"
             for s in SETTINGS]
    return "\n".join(rows)
