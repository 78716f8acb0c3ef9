"""End-to-end harness: `streamlit run app.py` on a free loopback port, driven by Chromium.

Playwright's own browser download does not work here, so Debian's Chromium is launched through
`executable_path`. The server gets its own empty model store, so tests start from the bundled
models only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from nn.paths import REPO_ROOT

CHROMIUM = os.environ.get("DIGITLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
START_TIMEOUT = 90  # seconds for the server to answer its health check
SCREENSHOTS = REPO_ROOT / "tests" / "e2e" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"streamlit did not become healthy in {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def start_app(tmp: Path) -> tuple[str, subprocess.Popen]:
    port = free_port()
    log = tmp / "streamlit.log"
    env = {**os.environ,
           "DIGITLAB_MODELS_DIR": str(tmp / "models"),
           "DIGITLAB_DRAWINGS_DIR": str(tmp / "drawings")}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
    except BaseException:
        stop_app(process)
        raise
    return url, process


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    url, process = start_app(tmp_path_factory.mktemp("app"))
    yield url
    stop_app(process)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def wait_idle(page, timeout: float = 60, settle: int = 4) -> None:
    """Wait until Streamlit has finished running the script.

    The running icon shows up a moment after an action, so "idle" means `settle` polls in a row
    (0.25 s apart) without it.
    """
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout * 1000)
    running = page.locator('[data-testid="stStatusWidgetRunningIcon"]')
    deadline, quiet = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        quiet = 0 if running.count() else quiet + 1
        if quiet >= settle:
            return
        time.sleep(0.25)
    raise AssertionError(f"the app was still running after {timeout} s")


def assert_no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()
