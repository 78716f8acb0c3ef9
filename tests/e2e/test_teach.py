"""The teach-it loop in Chromium: save a drawing with its label, fine-tune on it, score on it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from harness.browser import (
    assert_no_exception,
    click,
    fill_number,
    open_train_form,
    save_drawing_as,
    see,
    wait_idle,
    widget,
)
from harness.strokes import canvas_box, draw_digit


def test_draw_label_fine_tune_and_evaluate_on_my_drawings(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    draw_digit(page, canvas_box(page), 7, 200, 40, 40)
    wait_idle(page)
    save_drawing_as(page, 7)

    open_train_form(page, app_url)
    widget(page, "train_mode").get_by_role("radio", name="Fine-tune on my drawings").click()
    wait_idle(page)
    counted = re.search(r"\b(\d+) (drawings?)\b", page.inner_text("body"))
    assert counted and (counted[2] == "drawing") == (counted[1] == "1"), counted  # "1 drawing", "2 drawings"
    fill_number(page, "tune_epochs", 1)
    wait_idle(page)
    click(page, "tune_start")
    expect(widget(page, "save_model")).to_be_visible(timeout=120_000)
    wait_idle(page)
    see(page, "Finished 1 epoch in")
    name = widget(page, "save_name").locator("input").input_value()
    assert name.startswith("mnist-cnn-best-my-drawings"), name
    click(page, "save_model")
    wait_idle(page)
    see(page, f"Saved as {name}")

    page.goto(app_url + "/evaluate")
    wait_idle(page)
    widget(page, "eval_split").get_by_text("my drawings").click()
    wait_idle(page)
    metrics = page.get_by_test_id("stMetric").all_inner_texts()
    assert any(re.search(r"Images\s+[1-9]", m) for m in metrics), metrics
    assert_no_exception(page)
