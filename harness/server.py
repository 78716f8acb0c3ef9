"""The app as a real server on a free loopback port, with its own data folders.

The server is started by `run.sh`, as a user starts it: the same entry, the same configuration
(.streamlit/config.toml). Only the port (PORT), the address (loopback) and the data folders
(DIGITLAB_*_DIR) differ, plus the environment a test gives (DIGITLAB_WORKSPACES=per-user, as the
README's command for a class) and, for the login test, a secrets file in place of
.streamlit/secrets.toml. tests/test_served_config.py holds this so.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nn.storage.paths import REPO_ROOT

START_TIMEOUT = 90  # seconds for the server to answer its health check
RUN_SH = REPO_ROOT / "run.sh"
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class App:
    url: str
    process: subprocess.Popen
    log: Path
    folder: Path  # its models/, drawings/ and runs/ folders are here


def tail(log: Path) -> str:
    return log.read_text()[-3000:]


def wait_healthy(app: App, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {app.process.returncode}:\n{tail(app.log)}")
        try:
            with urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not become healthy in {timeout} s:\n{tail(app.log)}")


def wait_warm(app: App, timeout: float = 180.0) -> None:
    """Until the server's warm-up has finished (server.WARM_UP_DONE in its log): while it imports
    TensorFlow, the server answers pages late, once after each start."""
    from server import WARM_UP_DONE

    deadline = time.monotonic() + timeout
    while WARM_UP_DONE not in app.log.read_text():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server's warm-up did not finish in {timeout} s:\n{tail(app.log)}")
        time.sleep(0.2)


def served_args(secrets: Path | None = None) -> list[str]:
    """What the harness adds to run.sh's command: the address, and a test's login secrets."""
    return ["--server.address", LOOPBACK, *(["--secrets.files", str(secrets)] if secrets else [])]


def start_app(folder: Path, env: dict | None = None, secrets: Path | None = None,
              port: int | None = None) -> App:
    """Start the app through run.sh with its files in `folder`; stop it with stop_app."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = folder / "streamlit.log"
    environment = {**os.environ, **{f"DIGITLAB_{what.upper()}_DIR": str(folder / what)
                                    for what in ("models", "drawings", "runs", "inside", "exports")},
                   "PORT": str(port), **(env or {})}
    with log.open("a") as output:  # the server keeps its own copy of the descriptor
        process = subprocess.Popen(  # run.sh execs the server: this process is the server
            ["bash", str(RUN_SH), *served_args(secrets)], cwd=REPO_ROOT, env=environment,
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    app = App(f"http://{LOOPBACK}:{port}", process, log, folder)
    try:
        wait_healthy(app)
    except BaseException:
        stop_app(app)
        raise
    return app


@contextmanager
def signals_held():
    """Ctrl-C and SIGTERM wait until the block has run: stopping what a test started is not cut
    short by the signal that ends the test run."""
    held = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


def stop_app(app: App) -> None:
    """Stop the server and everything it started (its training workers), also when it hangs."""
    with signals_held():
        _stop_app(app)


def _stop_app(app: App) -> None:
    try:
        os.killpg(app.process.pid, signal.SIGTERM)
        app.process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(app.process.pid, signal.SIGKILL)
        app.process.wait(10)
    except ProcessLookupError:
        app.process.wait(10)


def kill_app(app: App) -> None:
    """SIGKILL the server alone, as a crash would: its workers find out by themselves."""
    app.process.send_signal(signal.SIGKILL)
    app.process.wait(10)


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def memory_mb(pid: int) -> dict:
    """Memory of a process tree: the sum of RSS, and of PSS (shared pages split fairly)."""
    rss = pss = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return {"rss": rss / 1024, "pss": pss / 1024}
