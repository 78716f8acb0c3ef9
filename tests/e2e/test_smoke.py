"""The app opens in Chromium and every page renders without an exception."""

from __future__ import annotations

import pytest

from harness.browser import assert_no_exception, navigate, wait_idle


@pytest.mark.parametrize("path, title", [("/", "Draw"), ("/draw", "Draw"), ("/train", "Train"),
                                         ("/models", "Models"), ("/evaluate", "Evaluate")])
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
    for title in ("Evaluate", "Models", "Train", "Draw"):
        navigate(page, title)
        assert_no_exception(page)
