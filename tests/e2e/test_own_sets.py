"""A data set of one's own in Chromium: made on the Data sets page, drawn into class by class,
trained on the Train page, read back on the Draw page, Unicode names and all, and added to from
there."""

from __future__ import annotations

import math

from playwright.sync_api import expect

from harness.browser import assert_no_exception, choose, click, open_train_form, see, wait_idle, widget
from harness.strokes import INK_PIXELS, LIVE_CANVAS, draw_strokes
from nn.storage.own_datasets import DatasetStore
from nn.storage.saved_models import ModelStore

# The test's own shapes (the benchmark draws others: harness.symbols), in a unit box.
SHAPES = {
    "✓": [[(0.05, 0.55), (0.35, 0.95), (0.95, 0.05)]],
    "ž": [[(0.3, 0.0), (0.5, 0.15), (0.7, 0.0)], [(0.1, 0.35), (0.9, 0.35), (0.1, 1.0), (0.9, 1.0)]],
    "o": [[(0.5 + 0.45 * math.cos(2 * math.pi * i / 24), 0.5 + 0.45 * math.sin(2 * math.pi * i / 24))
           for i in range(25)]],
}
PER_CLASS = 10


def own_canvas(page, version: int, layer: str = "upper"):
    """The Data sets page's canvas: the pen draws on its upper layer, the finished path lands on its
    lower one."""
    kind = "upper-canvas" if layer == "upper" else "dc-canvas.lower-canvas"
    return page.locator(f".st-key-own-canvas-{version} canvas.{kind}")


def count_of(page, label: str) -> int:
    return int(page.locator(f"[data-testid='own-count'][data-class='{label}']").get_attribute("data-count"))


def create_set(page, name: str, classes: str, for_class: bool = False) -> None:
    """On the Data sets page: a new set (the class's, for its teacher)."""
    widget(page, "new_set_name").locator("input").fill(name)
    widget(page, "new_set_classes").locator("input").fill(classes)
    if for_class:
        widget(page, "new_set_for_class").locator("label").first.click()
    page.get_by_role("button", name="Create").click()
    wait_idle(page)
    see(page, f"Made {name} with")


def draw_into(page, label: str, strokes, count: int, version: int, counted_from: int = 0) -> int:
    """Draw `count` drawings of `label` on the Data sets page, each added with its button; the
    canvas's next version."""
    page.locator("[class*='st-key-own_class_']").get_by_role("radio", name=label, exact=True).click()
    wait_idle(page)
    for n in range(count):
        canvas = own_canvas(page, version)
        canvas.wait_for()
        size, left, top = 150 + 8 * n, 30 + 5 * (n % 4), 40 + 4 * (n % 3)
        for _ in range(3):  # a canvas mounted a moment ago can miss the first strokes
            draw_strokes(page, canvas.bounding_box(), strokes, size, left, top)
            page.wait_for_timeout(100)  # fabric.js draws the finished path on the next frame
            if own_canvas(page, version, "lower").evaluate(INK_PIXELS):
                break
            page.wait_for_timeout(500)
        wait_idle(page)
        click(page, "own_add")
        version += 1
        expect(page.locator(f"[data-testid='own-count'][data-class='{label}']")).to_have_attribute(
            "data-count", str(counted_from + n + 1))
    return version


def test_a_person_draws_three_classes_trains_and_the_draw_page_names_a_new_drawing(page, app, app_url):
    page.goto(app_url + "/datasets")
    wait_idle(page)
    create_set(page, "Marks", "✓, ž, o")
    version = 0
    for label, strokes in SHAPES.items():
        version = draw_into(page, label, strokes, PER_CLASS, version)
    assert [count_of(page, label) for label in SHAPES] == [PER_CLASS] * 3
    assert_no_exception(page)

    open_train_form(page, app_url)
    choose(page, "train_dataset", "Marks (yours, 30 drawings)")
    wait_idle(page)
    see(page, "A data set of your own")  # the recipe for small data, as the command line's
    assert widget(page, "train_epochs").locator("input").input_value() == "40"
    click(page, "train_start")
    expect(widget(page, "save_model")).to_be_visible(timeout=300_000)
    wait_idle(page)
    name = widget(page, "save_name").locator("input").input_value()
    click(page, "save_model")
    wait_idle(page)
    see(page, f"Saved as {name}")

    try:
        page.goto(app_url)
        wait_idle(page)
        page.wait_for_function("() => window.__digitlabLive && window.__digitlabLive.ready", timeout=120_000)
        box = page.locator(LIVE_CANVAS).bounding_box()
        draw_strokes(page, box, SHAPES["✓"], 170, 50, 50)
        expect(page.get_by_test_id("live-answer").first).to_have_text("✓", timeout=30_000)
        expect(page.get_by_test_id("answer").first).to_have_text("✓", timeout=30_000)  # the server's
        assert "clothing" not in page.inner_text("body")
        # the drawing goes into the set from here: the model's set and its answer come first
        page.get_by_text("Add to a data set").click()
        click(page, "draw_add_to_set")
        see(page, "Added a ✓ to Marks (11 now)")
        assert DatasetStore(app.folder / "drawings").get("Marks").counts()["✓"] == PER_CLASS + 1
        # the nearest drawings in the network's eyes, under the set's names, the new one among them
        widget(page, "look_inside").get_by_text("Look inside the network").click()
        wait_idle(page)
        page.get_by_role("tab", name="Nearest neighbours").click()
        see(page, "The training images the network finds most like your drawing")
        captions = page.get_by_test_id("stImageCaption").all_inner_texts()
        assert sum(c.split(" · ")[0] == "✓" for c in captions) >= 3, captions
        assert_no_exception(page)
    finally:  # the session's app is shared by the other tests: leave its workspace as it was
        ModelStore(app.folder / "models").delete(name)
        DatasetStore(app.folder / "drawings").remove("Marks")
