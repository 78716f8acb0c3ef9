"""Workspace tokens: only the server makes them (signed with a secret in the runs folder)."""

from __future__ import annotations

import secrets

import pytest

from nn.storage import class_rules, tokens, workspaces


def tampered(token: str) -> str:
    """The token with its last character changed (a random token may already end in the one chosen)."""
    return token[:-1] + ("x" if token[-1] != "x" else "y")


def test_only_tokens_the_server_issued_are_workspaces(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "runs"))
    token = tokens.new_token()
    assert tokens.is_issued(token) and len(token) == 38
    made_up = secrets.token_urlsafe(16) + "A" * 16  # the right shape, signed by nobody
    assert not tokens.is_issued(made_up) and not tokens.is_issued(tampered(token))
    assert not tokens.is_issued(token + "\n")
    assert (tmp_path / "runs" / tokens.SECRET_FILE).stat().st_mode & 0o777 == 0o600
    legacy = secrets.token_urlsafe(16)  # before tokens were signed: only if its workspace exists
    assert not tokens.is_issued(legacy)
    tokens.from_token(legacy).runs_dir.mkdir(parents=True)
    assert tokens.is_issued(legacy)
    monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "another-class"))
    assert not tokens.is_issued(token)  # another server's secret


def test_on_a_class_server_a_full_workspace_keeps_nothing_more(tmp_path, monkeypatch):
    import numpy as np
    import pytest

    from nn.runs.store import RunStore
    from nn.training_config import TrainConfig

    for what in ("runs", "models", "drawings"):
        monkeypatch.setenv(f"DIGITLAB_{what.upper()}_DIR", str(tmp_path / what))
    monkeypatch.setenv("DIGITLAB_WORKSPACES", "per-user")
    monkeypatch.setenv("DIGITLAB_MAX_WORKSPACE_MB", "1")
    ann, bob = workspaces.Workspace("ann"), workspaces.Workspace("bob")
    drawing = np.zeros((280, 280, 4), np.uint8)
    ann.drawings().add(drawing, np.zeros((28, 28), np.uint8), 3)  # room yet
    ann.runs_dir.mkdir(parents=True, exist_ok=True)
    (ann.runs_dir / "big").write_bytes(b"x" * 2**20)  # a run's files: 1 MB
    full = r"your models, runs and drawings take 1.0 MB; the most one person may keep on this server is 1 MB"
    with pytest.raises(workspaces.WorkspaceError, match=full):
        ann.drawings().add(drawing, np.zeros((28, 28), np.uint8), 3)
    with pytest.raises(workspaces.WorkspaceError, match=full):
        RunStore(ann).submit("sigmoid-10", "mnist", TrainConfig(epochs=1))
    with pytest.raises(workspaces.WorkspaceError, match=full):
        ann.models().save_file(tmp_path / "any.keras", "kept")
    assert bob.drawings().add(drawing, np.zeros((28, 28), np.uint8), 3)  # others are not touched


def test_a_teacher_changes_a_class_limit_for_every_server_while_it_runs(monkeypatch, tmp_path):
    from nn.runs.store import run_time_limit, runs_per_person
    from nn.storage import workspaces

    monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("DIGITLAB_WORKSPACES", "per-user")
    monkeypatch.setenv("DIGITLAB_MAX_RUNS_PER_PERSON", "4")
    assert runs_per_person() == 4
    class_rules.change_limit("DIGITLAB_MAX_RUNS_PER_PERSON", 1)
    class_rules.change_limit("DIGITLAB_MAX_RUN_MINUTES", 2.5)
    assert runs_per_person() == 1 and run_time_limit() == 150  # read from the runs folder
    for variable, value in (("DIGITLAB_MAX_RUNS_PER_PERSON", 0), ("DIGITLAB_MAX_RUNS_PER_PERSON", 1.5),
                            ("DIGITLAB_MAX_WORKSPACE_MB", 10)):
        with pytest.raises(workspaces.WorkspaceError):
            class_rules.change_limit(variable, value)
    assert runs_per_person() == 1
    monkeypatch.setenv("DIGITLAB_WORKSPACES", "single")
    assert runs_per_person() is None  # on one's own: no limits


def test_teachers_are_the_listed_logins_or_whoever_has_the_servers_teacher_link(monkeypatch, tmp_path):
    from nn.storage import teachers

    monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("DIGITLAB_TEACHERS", "Mia@school.example, lee@school.example")
    assert teachers.is_teacher_email("mia@school.example") and not teachers.is_teacher_email("ann@x.org")
    link = teachers.link("http://127.0.0.1:8501/")
    token = link.split("?teacher=")[1]
    assert teachers.is_teacher_token(token) and teachers.token() == token  # the same on every server
    assert not teachers.is_teacher_token(tampered(token)) and not teachers.is_teacher_token("")
    assert (tmp_path / "runs" / teachers.TOKEN_FILE).stat().st_mode & 0o777 == 0o600
