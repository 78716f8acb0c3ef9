"""Workspace tokens: only the server makes them (signed with a secret in the runs folder)."""

from __future__ import annotations

import secrets

from nn.storage import workspaces


def test_only_tokens_the_server_issued_are_workspaces(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "runs"))
    token = workspaces.new_token()
    assert workspaces.is_issued(token) and len(token) == 38
    made_up = secrets.token_urlsafe(16) + "A" * 16  # the right shape, signed by nobody
    assert not workspaces.is_issued(made_up) and not workspaces.is_issued(token[:-1] + "x")
    assert not workspaces.is_issued(token + "\n")
    assert (tmp_path / "runs" / workspaces.SECRET_FILE).stat().st_mode & 0o777 == 0o600
    legacy = secrets.token_urlsafe(16)  # before tokens were signed: only if its workspace exists
    assert not workspaces.is_issued(legacy)
    workspaces.from_token(legacy).runs_dir.mkdir(parents=True)
    assert workspaces.is_issued(legacy)
    monkeypatch.setenv("DIGITLAB_RUNS_DIR", str(tmp_path / "another-class"))
    assert not workspaces.is_issued(token)  # another server's secret
