"""The app opens in Chromium and every page renders without an exception."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_no_exception, wait_idle


@pytest.mark.parametrize("path, title", [("/", "Draw"), ("/draw", "Draw"), ("/train", "Train"),
                                         ("/evaluate", "Evaluate")])
def test_every_page_renders(page, app_url, path, title):
    page.goto(app_url + path)
    wait_idle(page)
    page.get_by_role("heading", name=title).first.wait_for()
    assert_no_exception(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Active model" in sidebar.inner_text()


def test_navigation_between_pages(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Evaluate").click()
    page.get_by_role("heading", name="Evaluate").first.wait_for()
    wait_idle(page)
    assert_no_exception(page)
