"""End-to-end fixtures: the real app (harness.server) and Debian's Chromium (harness.browser).

The session's app gets its own empty models, drawings and runs folders, so tests start from the
bundled models only. Every test in this folder is marked `e2e`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import new_page
from harness.server import free_port, start_app, stop_app
from nn.storage.paths import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "tests" / "e2e" / "screenshots"


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("app"))
    yield app
    stop_app(app)


@pytest.fixture(scope="session")
def app_url(app):
    return app.url


@pytest.fixture(autouse=True)
def default_active_model(request):
    """Each test starts with the bundled default as the active model: the active model belongs to
    the workspace, and the session's app is one workspace."""
    if "app" in request.fixturenames:
        from nn.storage.saved_models import ACTIVE_FILE

        (request.getfixturevalue("app").folder / "models" / ACTIVE_FILE).unlink(missing_ok=True)


@pytest.fixture
def page(browser, request):
    page = new_page(browser)
    yield page
    if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
    page.context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def oidc_provider():
    """A local OpenID Connect provider (oidc-provider-mock) on loopback, for Streamlit's login."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(port=free_port()) as server:
        yield f"http://localhost:{server.server_port}"
