"""Evaluate page in Chromium: the confusion matrix, a clicked cell, the images behind it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from harness.browser import assert_no_exception, grid_texts, wait_idle, widget
from tests.e2e.conftest import SCREENSHOTS

CELL_CENTRE = """([key, x, y]) => {
    const plot = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
    const layout = plot._fullLayout, box = plot.getBoundingClientRect();
    return [box.left + layout._size.l + layout.xaxis.l2p(layout.xaxis.d2l(x)),
            box.top + layout._size.t + layout.yaxis.l2p(layout.yaxis.d2l(y))];
}"""


def test_click_a_cell_and_see_its_images(page, app_url):
    page.goto(app_url + "/evaluate")
    wait_idle(page)
    page.locator(".st-key-cm_chart .js-plotly-plot").wait_for()
    assert_no_exception(page)
    accuracy = page.get_by_test_id("stMetric").first.inner_text()
    assert re.search(r"Accuracy\s+9\d\.\d\d%", accuracy), accuracy

    expect(widget(page, "pairs_table").locator('[role="gridcell"]').nth(2)).to_be_attached()
    true_label, predicted, count = grid_texts(page, "pairs_table")[:3]
    page.locator(".st-key-cm_chart").scroll_into_view_if_needed()
    x, y = page.evaluate(CELL_CENTRE, ["cm_chart", predicted, true_label])
    page.mouse.click(x, y)
    wait_idle(page)

    # Right under the matrix: the cell's images, the cell outlined; the gallery below follows.
    cell = widget(page, "cell_images")
    expect(cell.get_by_test_id("stImageCaption")).to_have_count(min(int(count), 8))
    assert f"True {true_label}, predicted {predicted}: {count} images" in cell.inner_text()
    chart = widget(page, "cm_chart").bounding_box()
    assert cell.bounding_box()["y"] - (chart["y"] + chart["height"]) < 100
    assert page.locator(".st-key-cm_chart path[style*='stroke-width: 3']").count() >= 1  # the outline
    for caption in cell.get_by_test_id("stImageCaption").all_inner_texts():
        assert re.fullmatch(r"#\d+ · \d+% confidence", caption.strip()), caption
    captions = widget(page, "gallery").get_by_test_id("stImageCaption")
    expect(captions).to_have_count(min(int(count), 24))
    for caption in captions.all_inner_texts():
        match = re.fullmatch(r"#\d+: (\S+) → (\S+), \d+% confidence", caption.strip())
        assert match, caption
        assert match.groups() == (true_label, predicted), caption
    assert f"{count} images" in page.inner_text("body")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.get_by_text("Misclassified images").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "evaluate.png"), full_page=True)
    assert_no_exception(page)
