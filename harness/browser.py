"""Debian's Chromium driven by Playwright, and helpers that address Streamlit widgets by key.

Playwright's own browser download does not work here, so the browser is launched through
`executable_path`. Waiting is Playwright's: `expect(...)` and `wait_for_function`, which retry
until the page agrees or the timeout ends.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from playwright.sync_api import expect

from nn import settings

CHROMIUM = settings.value("DIGITLAB_CHROMIUM")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
TIMEOUT_MS = 60_000
# The browsers stand in for the people's own machines: below the server's priority, so that
# what they cost on this one machine does not count as the server's slowness. Thirty of them share
# two cores, so they sit level with the training workers (nn.runs.worker.NICENESS = 10): above them, the
# class's browsers redrawing charts would take the cores the trainings they watch need.
BROWSER_NICENESS = 10
NICED_CHROMIUM = Path(__file__).resolve().parent / "chromium-niced"


def launch(playwright, niceness: int = BROWSER_NICENESS, **options):
    """Chromium (a Playwright or its chromium type) at `niceness`: see BROWSER_NICENESS."""
    chromium = getattr(playwright, "chromium", playwright)
    environment = {**os.environ, "DIGITLAB_CHROMIUM": CHROMIUM, "DIGITLAB_BROWSER_NICENESS": str(niceness)}
    options.setdefault("args", CHROMIUM_ARGS)
    return chromium.launch(executable_path=str(NICED_CHROMIUM), headless=True, env=environment, **options)


def new_page(browser, width: int = 1400, height: int = 1000, **options):
    """A page in a context of its own: its own cookies, its own Streamlit session. `options` go to
    browser.new_context (has_touch, is_mobile, device_scale_factor...)."""
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return page


def wait_idle(page, timeout: float = 60, settle: int = 4) -> None:
    """Wait until Streamlit has finished running the script.

    The running icon shows up a moment after an action, so one look at it is not enough:
    "idle" means `settle` looks in a row (0.25 s apart) without it.
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


def widget(page, key: str):
    """The element Streamlit renders for the widget with `key` (class st-key-<key>)."""
    return page.locator(f".st-key-{key}")


def fill_number(page, key: str, value) -> None:
    box = widget(page, key).locator("input")
    box.fill(str(value))
    box.press("Enter")


def choose(page, key: str, option: str, exact: bool = True) -> None:
    """Pick `option` in the selectbox with `key` (the list sometimes misses the first click);
    with exact=False, the option whose label contains `option`."""
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
    page.get_by_role("option", name=option, exact=exact).click()


def click(page, key: str) -> None:
    widget(page, key).locator("button").first.click()


def selected(page, key: str) -> str:
    """The value shown in the selectbox with `key`."""
    return widget(page, key).locator('[role="combobox"]').input_value()


ROW_PIXELS = 35  # a dataframe's header and rows


def grid_texts(page, key: str) -> list[str]:
    """The cells of the dataframe with `key` (drawn on a canvas, but exposed as a grid), once the
    first is there."""
    cells = widget(page, key).locator('[role="gridcell"]')
    cells.first.wait_for(state="attached")
    return cells.all_inner_texts()


def select_row(page, key: str, text: str) -> None:
    """Tick the row of the dataframe with `key` that has a cell reading `text` (its row marker,
    drawn on the grid's canvas, where a person clicks)."""
    grid = widget(page, key)
    cell = grid.locator('[role="gridcell"]').filter(has_text=text).first
    cell.wait_for(state="attached")
    row = int(cell.locator("xpath=ancestor::*[@aria-rowindex][1]").get_attribute("aria-rowindex"))
    box = grid.locator("canvas").first.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + ROW_PIXELS * (row - 1) + ROW_PIXELS / 2)
    wait_idle(page)


def see(page, text: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until `text` is on the page."""
    expect(page.get_by_text(text).first).to_be_visible(timeout=timeout_ms)


def navigate(page, title: str) -> None:
    """Go to another page through the sidebar: the same session, unlike page.goto."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).first.wait_for()
    wait_idle(page)


def save_drawing_as(page, digit: int) -> None:
    """On the Draw page: open "Wrong? Tell it", pick the right digit and save the drawing."""
    page.get_by_text("Wrong? Tell it").click()
    wait_idle(page)
    choose(page, "right_label", str(digit))
    click(page, "save_drawing")
    wait_idle(page)
    see(page, f"Saved as a {digit}")


def open_train_form(page, url: str) -> None:
    """The Train page with the new-training form (it opens on the latest run when there is one).
    A page already showing the app goes there through the sidebar, keeping its session."""
    if page.url.startswith(url):
        navigate(page, "Train")
    else:
        page.goto(url + "/train")
        wait_idle(page)
    if widget(page, "train_new").count():
        click(page, "train_new")
        wait_idle(page)


def set_train_form(page, url: str, model: str = "dense-128", epochs: int = 1) -> None:
    """The Train page's new-training form, with `model` chosen for `epochs` epochs."""
    open_train_form(page, url)
    choose(page, "train_model", model)
    wait_idle(page)
    fill_number(page, "train_epochs", epochs)
    wait_idle(page)
