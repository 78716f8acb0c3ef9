"""Settings: every DIGITLAB_* variable is declared once in nn.settings, read nowhere else, and
documented in docs/settings.md exactly as declared."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from nn import settings
from nn.storage import class_rules, workspaces
from nn.storage.paths import REPO_ROOT

NAME = re.compile(r"\bDIGITLAB_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
# Reading a variable in Python: through os.environ.get, os.environ[...] or os.getenv, by its name.
READ = re.compile(r"""(?:environ\.get|environ\[|getenv)\(?\s*["'](DIGITLAB_[A-Z0-9_]+)""")
SHELL_READERS = {"run.sh", "harness/chromium-niced"}  # see docs/settings.md


def project_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return [f for f in listed.stdout.split() if f.endswith((".py", ".sh", ".md", ".toml", ".txt", ".yml"))
            or "/" not in f or f in SHELL_READERS or f.startswith(".ci/")]


def test_every_variable_mentioned_anywhere_is_declared_and_read_only_by_nn_settings():
    unknown, readers = {}, {}
    for name in project_files():
        path = REPO_ROOT / name
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for variable in set(NAME.findall(text)) - set(settings.BY_NAME):
            unknown.setdefault(variable, []).append(name)
        if name.endswith(".py") and name != "nn/settings.py" and READ.search(text):
            readers[name] = sorted(set(READ.findall(text)))
    assert not unknown, f"not in nn.settings: {unknown}"
    assert not readers, f"read outside nn.settings: {readers}"


def test_the_docs_table_is_the_modules_own():
    text = (REPO_ROOT / "docs" / "settings.md").read_text()
    assert settings.table() in text
    documented = set(re.findall(r"^\| `(DIGITLAB_[A-Z0-9_]+)`", text, re.MULTILINE))
    assert documented == set(settings.BY_NAME)


def test_a_bad_value_is_named_with_what_it_takes_and_the_default_holds_when_unset(monkeypatch):
    monkeypatch.delenv("DIGITLAB_MAX_TRAININGS", raising=False)
    assert settings.value("DIGITLAB_MAX_TRAININGS") is None
    monkeypatch.setenv("DIGITLAB_MAX_TRAININGS", " 3 ")
    assert settings.value("DIGITLAB_MAX_TRAININGS") == 3
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv("DIGITLAB_MAX_TRAININGS", bad)
        expected = f"DIGITLAB_MAX_TRAININGS must be a whole number above 0, not '{re.escape(bad)}'"
        with pytest.raises(settings.SettingError, match=expected):
            settings.value("DIGITLAB_MAX_TRAININGS")
    monkeypatch.setenv("DIGITLAB_WORKSPACES", "everyone")
    with pytest.raises(workspaces.WorkspaceError, match="DIGITLAB_WORKSPACES must be single or per-user"):
        class_rules.mode()
    monkeypatch.setenv("DIGITLAB_TEACHERS", "Mia@School.example, tom@school.example  ")
    assert settings.value("DIGITLAB_TEACHERS") == {"mia@school.example", "tom@school.example"}


def test_the_queue_reads_max_trainings_through_the_settings(monkeypatch):
    """The queue and the Ray driver parsed it each with rules and messages of their own."""
    from nn.runs import run_queue

    monkeypatch.setenv("DIGITLAB_MAX_TRAININGS", "1.5")
    with pytest.raises(settings.SettingError, match="DIGITLAB_MAX_TRAININGS must be a whole number above 0"):
        run_queue.max_trainings()
    monkeypatch.setenv("DIGITLAB_MAX_TRAININGS", "2")
    assert run_queue.max_trainings() == 2


def test_what_a_teacher_may_change_while_the_server_runs_is_marked_in_the_settings():
    assert class_rules.CHANGEABLE_LIMITS == {"DIGITLAB_MAX_RUNS_PER_PERSON": int,
                                            "DIGITLAB_MAX_RUN_MINUTES": float}


def test_a_fresh_process_reads_the_environment_it_was_started_with(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DIGITLAB_RUNS_DIR": str(tmp_path / "r")}
    out = subprocess.run([sys.executable, "-c", "from nn.storage import paths; print(paths.runs_dir())"],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path / "r")
