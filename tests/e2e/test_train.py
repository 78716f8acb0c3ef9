"""Train page in Chromium: train dense-128 on a subset, watch it, stop it, save it, find it."""

from __future__ import annotations

import re

from tests.e2e.conftest import SCREENSHOTS, assert_no_exception, wait_idle
from tests.e2e.helpers import choose, click, fill_number, wait_until, widget


def progress_fraction(page) -> float:
    text = page.locator('[data-testid="stProgress"]').inner_text()
    match = re.search(r"batch (\d+)/(\d+)", text)
    epoch = re.search(r"epoch (\d+)/(\d+)", text)
    if not match or not epoch:
        return 0.0
    return (int(epoch.group(1)) - 1) + int(match.group(1)) / int(match.group(2))


def plotted_points(page, key: str) -> int:
    """Data points drawn in the plotly chart with `key`, as plotly itself counts them."""
    return page.evaluate(
        """(key) => {
            const plot = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
            if (!plot || !plot._fullData) return 0;
            return plot._fullData.reduce((n, trace) => n + (trace._length || 0), 0);
        }""", key)


def test_train_watch_stop_save_and_find(page, app_url):
    page.goto(app_url + "/train")
    wait_idle(page)
    choose(page, "train_model", "dense-128")
    wait_idle(page)
    fill_number(page, "train_subset", 20000)
    wait_idle(page)
    fill_number(page, "train_epochs", 30)
    wait_idle(page)
    fill_number(page, "train_batch", 16)
    wait_idle(page)
    assert "101,770" in page.get_by_test_id("stMetric").first.inner_text()

    click(page, "train_start")
    wait_until(lambda: widget(page, "train_stop").count(), message="the Stop button")
    first = wait_until(lambda: plotted_points(page, "batch_chart"), message="points on the chart")
    progress = wait_until(lambda: progress_fraction(page) > 0 and progress_fraction(page),
                          message="the progress bar")
    wait_until(lambda: plotted_points(page, "batch_chart") > first, message="more points")
    wait_until(lambda: progress_fraction(page) > progress, message="the progress bar to advance")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "train.png"), full_page=True)

    click(page, "train_stop")
    wait_until(lambda: widget(page, "save_model").count(), timeout=90, message="the save form")
    result = page.get_by_text("Stopped at epoch").inner_text()
    assert re.search(r"Stopped at epoch \d+, batch \d+ in \d+:\d\d: test accuracy \d+\.\d+%", result), result
    widget(page, "save_name").locator("input").fill("e2e-stopped")
    click(page, "save_model")
    wait_idle(page)
    wait_until(lambda: "Saved as e2e-stopped" in page.inner_text("body"), message="the saved note")
    cells = widget(page, "models_table").locator('[role="gridcell"]')
    wait_until(lambda: "e2e-stopped" in cells.all_inner_texts(), message="the model in the table")
    active = widget(page, "active_model").locator('[role="combobox"]').input_value()
    assert active.startswith("e2e-stopped"), active  # the saved model became the active one
    assert_no_exception(page)
