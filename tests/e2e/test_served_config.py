"""The running server, as the harness starts it, is run.sh's: the same command line (but for the
port and the loopback address), the configuration of .streamlit/config.toml, and no file
watcher: once a page is open, the server's process tree holds not one inotify watch (with the
watcher on it held over 6,500, one per folder of .venv)."""

from __future__ import annotations

from pathlib import Path

from harness.browser import wait_idle
from harness.server import process_tree, served_args


def inotify_watches(pid: int) -> int:
    count = 0
    for p in process_tree(pid):
        try:
            for fd in Path(f"/proc/{p}/fdinfo").iterdir():
                count += sum(line.startswith("inotify wd:") for line in fd.read_text().splitlines())
        except OSError:
            continue  # a process or descriptor that went away meanwhile
    return count


def test_the_served_app_is_run_sh_with_its_configuration(app, page):
    page.goto(app.url)
    wait_idle(page)  # the script has run for a session: a watcher would now watch its folders
    command = Path(f"/proc/{app.process.pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    port = app.url.rsplit(":", 1)[1]
    assert command[0].endswith(".venv/bin/python")
    assert command[1:] == ["-m", "streamlit", "run", "server.py", "--server.port", port, *served_args()]
    served = next(line for line in app.log.read_text().splitlines() if line.startswith("Digit Lab serves"))
    assert "server.fileWatcherType=none" in served and "server.runOnSave=False" in served
    assert "client.showErrorDetails=none" in served  # no traceback, no server path, on any page
    assert inotify_watches(app.process.pid) == 0
