"""What a person may keep on a class's server (DIGITLAB_MAX_WORKSPACE_MB, nn.storage.class_rules):
their models, runs and drawings are measured, and every write that adds to them is checked and
made under their workspace's lock, so that two writes at once cannot both pass one check.
Each function takes a nn.storage.workspaces.Workspace (whose stores are handed `room`).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from nn.errors import WorkspaceError
from nn.phrases import said
from nn.storage.class_rules import class_limit
from nn.storage.locks import waiting_for

ROOM_LOCK = ".room.lock"  # in a workspace's runs folder: one write at a time against its quota


def disk_mb(workspace) -> float:
    """What this person keeps: their models, runs and drawings, in MB."""
    total = 0
    for folder in (workspace.models_dir, workspace.runs_dir, workspace.drawings_dir):
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
def room(workspace, adding_bytes: int = 0):
    """`with room(workspace, n):` checks that this person may keep `n` bytes more, then holds
    their workspace's lock while the block writes them: two writes at once cannot both pass
    one check (WorkspaceError when there is no room)."""
    with waiting_for(workspace.runs_dir / ROOM_LOCK):
        check_room(workspace, adding_bytes)
        yield


def check_room(workspace, adding_bytes: int = 0) -> None:
    """Raise WorkspaceError when this person would keep more than one may on a class's server
    (DIGITLAB_MAX_WORKSPACE_MB); nothing on one's own."""
    if workspace.is_guest:
        raise WorkspaceError(said("guests draw and look around; log in (in the sidebar) to keep models, "
                                  "drawings and runs of your own"))
    bound = class_limit("DIGITLAB_MAX_WORKSPACE_MB")
    if workspace.is_local or bound is None:
        return
    used, adding = disk_mb(workspace), adding_bytes / 2**20
    if used >= bound or used + adding > bound:
        values = {"used": f"{used:,.1f}", "adding": f"{adding:,.1f}", "bound": bound}
        if used < bound:
            raise WorkspaceError(said("your models, runs and drawings take {used} MB and this would add "
                                      "{adding} MB; the most one person may keep on this server is {bound} "
                                      "MB: delete models or runs you no longer need", **values))
        raise WorkspaceError(said("your models, runs and drawings take {used} MB; the most one person may "
                                  "keep on this server is {bound} MB: delete models or runs you no longer "
                                  "need", **values))
