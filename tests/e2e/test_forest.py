"""The random forest in Chromium: trained on the Train page with a progress bar over its trees,
then read drawings beside the CNN on the Draw page, and evaluated and compared."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from harness.browser import (
    assert_no_exception,
    choose,
    click,
    fill_number,
    navigate,
    open_train_form,
    see,
    selected,
    wait_idle,
    widget,
)
from harness.strokes import draw_on_canvas


def test_a_forest_is_trained_drawn_for_and_evaluated(page, app_url):
    open_train_form(page, app_url)
    choose(page, "train_model", "random-forest")
    wait_idle(page)
    assert widget(page, "train_epochs").count() == 0 and widget(page, "train_trees").count() == 1
    fill_number(page, "train_trees", 40)
    wait_idle(page)
    fill_number(page, "train_subset", 10000)
    wait_idle(page)
    click(page, "train_start")
    expect(page.get_by_text("tree step").first).to_be_visible()  # its chart counts trees, not batches
    expect(widget(page, "save_model")).to_be_visible(timeout=120_000)
    widget(page, "save_name").locator("input").fill("e2e-forest")
    click(page, "save_model")
    wait_idle(page)
    see(page, "Saved as e2e-forest")

    navigate(page, "Draw")
    assert selected(page, "active_model").startswith("e2e-forest")
    draw_on_canvas(page, 0, 7, 200, 40, 40)
    wait_idle(page)
    compare = widget(page, "compare_models").locator("input")
    compare.fill("mnist-cnn-best")
    compare.press("Enter")
    page.keyboard.press("Escape")
    wait_idle(page)
    answers = [a.strip() for a in page.get_by_test_id("answer").all_inner_texts()]
    assert answers == ["7", "7"], answers  # the forest and the CNN, side by side
    # Live, in the browser: the CNN answers; the forest says it answers from the server, on pen-up.
    expect(page.get_by_text("answers from the server, once the pen lifts")).to_be_visible()
    assert [a.strip() for a in page.get_by_test_id("live-answer").all_inner_texts()] == ["", "7"]

    navigate(page, "Evaluate")
    accuracy = page.get_by_test_id("stMetric").first.inner_text()
    assert re.search(r"Accuracy\s+9\d\.\d\d%", accuracy), accuracy
    page.get_by_role("tab", name="Compare two models").click()
    choose(page, "compare_model", "mnist-cnn-best", exact=False)
    wait_idle(page)
    expect(page.get_by_text("only e2e-forest right")).to_be_visible()
    assert_no_exception(page)
