"""The teach-it loop in Chromium: save a drawing with its label, fine-tune on it, score on it."""

from __future__ import annotations

import re

from tests.e2e.conftest import assert_no_exception, wait_idle
from tests.e2e.helpers import click, fill_number, save_drawing_as, wait_until, widget
from tests.e2e.strokes import canvas_box, draw_digit


def test_draw_label_fine_tune_and_evaluate_on_my_drawings(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    box = canvas_box(page)
    draw_digit(page, box, 7, 200, 40, 40)
    wait_idle(page)
    save_drawing_as(page, 7)

    page.goto(app_url + "/train")
    wait_idle(page)
    widget(page, "train_mode").get_by_role("radio", name="Fine-tune on my drawings").click()
    wait_idle(page)
    assert re.search(r"\d+ drawings", page.inner_text("body"))
    fill_number(page, "tune_epochs", 1)
    wait_idle(page)
    click(page, "tune_start")
    wait_until(lambda: widget(page, "save_model").count(), timeout=120, message="the save form")
    wait_idle(page)
    wait_until(lambda: "Finished 1 epoch in" in page.inner_text("body"), message="the result")
    name = widget(page, "save_name").locator("input").input_value()
    assert name.startswith("mnist-cnn-best-my-drawings"), name
    click(page, "save_model")
    wait_idle(page)
    wait_until(lambda: f"Saved as {name}" in page.inner_text("body"), message="the saved model")

    page.goto(app_url + "/evaluate")
    wait_idle(page)
    widget(page, "eval_split").get_by_text("my drawings").click()
    wait_idle(page)
    metrics = page.get_by_test_id("stMetric").all_inner_texts()
    assert any(re.search(r"Images\s+[1-9]", m) for m in metrics), metrics
    assert_no_exception(page)
