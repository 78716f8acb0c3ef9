"""Inside the network in Chromium: a drawn digit's layers, the first layer's filters, its nearest
training images and the map, on the Draw page; the test set's map on the Evaluate page."""

from __future__ import annotations

from playwright.sync_api import expect

from harness.browser import assert_no_exception, navigate, see, wait_idle, widget
from harness.strokes import draw_on_canvas
from tests.e2e.conftest import SCREENSHOTS

MAP_TIMEOUT_MS = 90_000
POINTS_ON_MAP = """(key) => {
    const plot = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
    return plot && plot._fullData ? plot._fullData.reduce((n, t) => n + (t._length || 0), 0) : 0;
}"""
# The screen position of the first dot of the first trace, to click it.
FIRST_DOT = """(key) => {
    const plot = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
    const trace = plot._fullData[0], layout = plot._fullLayout, box = plot.getBoundingClientRect();
    return [box.left + layout._size.l + layout.xaxis.l2p(trace.x[0]),
            box.top + layout._size.t + layout.yaxis.l2p(trace.y[0])];
}"""


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def shown_tab(page):
    return page.locator('[role="tabpanel"]:visible').first


def test_inside_views_of_a_drawing(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    draw_on_canvas(page, 0, 4, 180, 50, 50)
    wait_idle(page)
    expect(page.get_by_test_id("answer").first).to_have_text("4")
    widget(page, "look_inside").get_by_text("Look inside the network").click()
    wait_idle(page)

    shapes = page.get_by_test_id("layer-shapes").inner_text()
    assert shapes.startswith("28×28 → 28×28×1 → 24×24×32") and shapes.endswith("→ 10"), shapes
    conv = widget(page, "layer_2")  # the first convolution: a grid of 32 feature maps
    expect(conv.get_by_text("24×24×32")).to_be_visible()
    assert conv.locator("img").first.bounding_box()["width"] > 200
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1600})
    shown_tab(page).screenshot(path=str(SCREENSHOTS / "inside-layers.png"))

    open_tab(page, "What it learned")
    see(page, "The 32 filters of the first convolution")
    open_tab(page, "Nearest neighbours")
    see(page, "The training images the network finds most like your drawing")
    captions = page.get_by_test_id("stImageCaption").all_inner_texts()
    assert sum(c.split(" · ")[0] == "4" for c in captions) >= 4, captions  # most of them are 4s
    open_tab(page, "Map")
    # dots and a star; the first map of a model file computes features and t-SNE: slow on a busy CPU
    page.wait_for_function(f"() => ({POINTS_ON_MAP})('map_mnist-cnn-best') > 1500", timeout=MAP_TIMEOUT_MS)
    page.wait_for_timeout(500)  # the dots are drawn a moment after the data arrives
    shown_tab(page).screenshot(path=str(SCREENSHOTS / "inside-map.png"))
    assert_no_exception(page)


def test_the_evaluate_page_maps_the_test_set_and_a_click_shows_an_image(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    navigate(page, "Evaluate")
    open_tab(page, "Map")
    widget(page, "eval_map").get_by_text("Show the map").click()
    wait_idle(page)
    page.wait_for_function(f"() => ({POINTS_ON_MAP})('map_mnist-cnn-best') >= 1500", timeout=MAP_TIMEOUT_MS)
    see(page, "crosses are the")
    x, y = page.evaluate(f"({FIRST_DOT})('map_mnist-cnn-best')")
    page.mouse.click(x, y)
    wait_idle(page)
    see(page, "read as")  # "test image N: a 0, read as 0"
    assert_no_exception(page)
