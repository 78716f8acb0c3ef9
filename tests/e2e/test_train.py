"""Train page in Chromium: a run that survives a reload, live charts, Stop, Save, the Models page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from harness.browser import (
    assert_no_exception,
    choose,
    click,
    fill_number,
    grid_texts,
    navigate,
    open_train_form,
    see,
    selected,
    wait_idle,
    widget,
)
from tests.e2e.conftest import SCREENSHOTS

PROGRESS = """() => {
    const bar = document.querySelector('[data-testid="stProgress"]');
    const m = bar && bar.innerText.match(/epoch (\\d+)\\/\\d+ · batch (\\d+)\\/(\\d+)/);
    return m ? (+m[1] - 1) + m[2] / m[3] : 0;
}"""
POINTS = """(key) => {
    const plot = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
    return plot && plot._fullData ? plot._fullData.reduce((n, t) => n + (t._length || 0), 0) : 0;
}"""


def progress(page) -> float:
    return page.evaluate(PROGRESS)


def test_a_run_survives_a_reload_stops_and_is_saved(page, app_url):
    open_train_form(page, app_url)
    assert selected(page, "train_model") == "cnn-fast"  # suggested first, with why it is fast
    see(page, "A good first model: it is fast because it is small")
    choose(page, "train_model", "dense-128")
    wait_idle(page)
    # Long enough to be stopped on any machine: 30 epochs ended in 41 s on a fast one, before Stop.
    for key, value in (("train_subset", 20000), ("train_epochs", 300), ("train_batch", 16)):
        fill_number(page, key, value)
        wait_idle(page)
    assert "101,770" in page.get_by_test_id("stMetric").first.inner_text()

    click(page, "train_start")
    expect(widget(page, "train_stop")).to_be_visible()
    page.wait_for_function(f"() => ({POINTS})('batch_chart') > 0")
    before = progress(page)
    page.wait_for_function(f"() => ({PROGRESS})() > {before}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "train.png"), full_page=True)

    page.reload()  # the training goes on, and the page shows it again, live
    wait_idle(page)
    expect(widget(page, "train_stop")).to_be_visible()
    page.wait_for_function(f"() => ({PROGRESS})() >= {before}")  # drawn again, not from zero
    seen = progress(page)
    page.wait_for_function(f"() => ({PROGRESS})() > {seen}")
    cells = grid_texts(page, "runs_table")
    assert any("running" in cell for cell in cells), cells

    click(page, "train_stop")
    expect(widget(page, "save_model")).to_be_visible(timeout=90_000)
    result = page.get_by_text("Stopped at epoch").inner_text()
    assert re.search(r"Stopped at epoch \d+, batch \d+ in \d+:\d\d: test accuracy \d+\.\d+%", result), result
    widget(page, "save_name").locator("input").fill("e2e-stopped")
    click(page, "save_model")
    wait_idle(page)
    see(page, "Saved as e2e-stopped")
    assert selected(page, "active_model").startswith("e2e-stopped")  # the saved model is the active one
    navigate(page, "Models")
    assert "e2e-stopped" in grid_texts(page, "models_table")
    assert_no_exception(page)


def test_a_second_tab_sees_the_same_runs_and_opens_the_form_on_request(browser, page, app_url):
    page.goto(app_url + "/train")
    wait_idle(page)
    other = page.context.new_page()  # another tab of the same browser: the same (local) workspace
    other.goto(app_url + "/train")
    wait_idle(other)
    assert grid_texts(other, "runs_table"), "the runs of the first test are listed"
    click(other, "train_new")
    wait_idle(other)
    expect(widget(other, "train_start")).to_be_visible()
    assert_no_exception(other)
