"""Small helpers for driving Streamlit widgets by their keys."""

from __future__ import annotations

import time


def widget(page, key: str):
    """The element Streamlit renders for the widget with `key` (class st-key-<key>)."""
    return page.locator(f".st-key-{key}")


def fill_number(page, key: str, value) -> None:
    box = widget(page, key).locator("input")
    box.fill(str(value))
    box.press("Enter")


def choose(page, key: str, option: str) -> None:
    """Pick `option` in the selectbox with `key` (the list sometimes misses the first click)."""
    box = widget(page, key).locator('[role="combobox"]')
    box.wait_for()
    for attempt in range(3):
        box.click()
        try:
            page.get_by_role("listbox").wait_for(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError; retried below
            if attempt == 2:
                raise
    page.get_by_role("option", name=option, exact=True).click()


def click(page, key: str) -> None:
    widget(page, key).locator("button").first.click()


def wait_until(condition, timeout: float = 60, interval: float = 0.25, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def save_drawing_as(page, digit: int) -> None:
    """On the Draw page: open "Wrong? Tell it", pick the right digit and save the drawing."""
    from tests.e2e.conftest import wait_idle

    page.get_by_text("Wrong? Tell it").click()
    wait_idle(page)
    choose(page, "right_label", str(digit))
    click(page, "save_drawing")
    wait_idle(page)
    wait_until(lambda: f"Saved as a {digit}" in page.inner_text("body"), message="the saved drawing")
