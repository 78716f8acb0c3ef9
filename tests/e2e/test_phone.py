"""The app on a phone: 390x844, touch input. The Draw page fits and reads finger-drawn digits."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from harness.browser import assert_no_exception, new_page, wait_idle
from harness.strokes import canvas_box, clear_drawing, draw_on_canvas, drawing_layer
from tests.e2e.conftest import SCREENSHOTS

PHONE = {"width": 390, "height": 844, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
# How far the page scrolls sideways: the document, or Streamlit's own scrolling container.
OVERFLOW = """() => Math.max(...[document.documentElement, document.querySelector('[data-testid="stMain"]')]
    .filter(Boolean).map(e => e.scrollWidth - e.clientWidth))"""


@pytest.fixture
def phone(browser):
    page = new_page(browser, PHONE["width"], PHONE["height"], has_touch=True, is_mobile=True,
                    device_scale_factor=2)
    yield page
    page.context.close()


def top_of(page, locator) -> float:
    """Distance from the top of the page (Streamlit scrolls inside its main container)."""
    return locator.first.evaluate("""e => e.getBoundingClientRect().top
        + (document.querySelector('[data-testid="stMain"]') || document.documentElement).scrollTop""")


def test_drawing_with_a_finger_on_a_phone(phone, app_url):
    page = phone
    page.goto(app_url)
    wait_idle(page)
    assert page.evaluate(OVERFLOW) <= 0, "the Draw page scrolls sideways"
    box = canvas_box(page)
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box  # the canvas fits
    cdp = page.context.new_cdp_session(page)
    for version, digit in enumerate((7, 1, 0, 3)):
        page.evaluate("() => window.scrollTo(0, 0)")
        before = page.evaluate("() => window.scrollY")
        draw_on_canvas(page, version, digit, 170, 55, 45, finger=cdp)
        assert page.evaluate("() => window.scrollY") == before  # the finger drew; the page stayed
        answer = page.get_by_test_id("answer").first
        answer.wait_for()
        wait_idle(page)
        assert answer.inner_text().strip() == str(digit)
        if version == 0:
            # Canvas first, then what the model sees, then the answer, one under the other.
            seen = page.get_by_text("What the model sees")
            assert top_of(page, drawing_layer(page)) < top_of(page, seen) < top_of(page, answer)
            assert page.evaluate(OVERFLOW) <= 0
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            answer.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "phone-draw.png"))
        clear_drawing(page)
        page.get_by_test_id("answer").first.wait_for(state="detached")
    assert_no_exception(page)


@pytest.mark.parametrize("path", ["/train", "/models", "/evaluate"])
def test_the_other_pages_fit_a_phone(phone, app_url, path):
    page = phone
    page.goto(app_url + path)
    wait_idle(page)
    page.locator(".js-plotly-plot, [data-testid='stDataFrame']").first.wait_for()
    assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways"
    for chart in page.locator(".js-plotly-plot").all():  # charts fit the screen
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, box
    assert_no_exception(page)


def test_on_a_phone_the_answer_is_in_the_first_screen_beside_the_canvas(phone, app_url):
    page = phone
    page.goto(app_url)
    wait_idle(page)
    cdp = page.context.new_cdp_session(page)
    draw_on_canvas(page, 0, 7, 170, 55, 45, finger=cdp)
    live = page.get_by_test_id("live-answer").first
    expect(live).to_have_text("7", timeout=60_000)
    wait_idle(page)
    page.evaluate("""() => { window.scrollTo(0, 0);
        const main = document.querySelector('[data-testid="stMain"]'); if (main) main.scrollTop = 0; }""")
    box = live.bounding_box()
    canvas = canvas_box(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-live-answer.png"))
    assert box["y"] + box["height"] <= PHONE["height"], (box, canvas)  # no scrolling to see it
    beside = box["x"] > canvas["x"] + canvas["width"]
    assert beside or abs(box["y"] - (canvas["y"] + canvas["height"])) < 200  # or right under it
    assert_no_exception(page)


SCROLL_TO_BOTTOM = """() => { const main = document.querySelector('[data-testid="stMain"]');
    (main || document.documentElement).scrollTop = 1e6; }"""


def test_on_a_phone_a_run_watched_to_its_end_brings_its_save_box_into_view(phone, app_url):
    from harness.browser import click, fill_number, set_train_form, widget

    page = phone
    set_train_form(page, app_url, "dense-128", epochs=6)
    fill_number(page, "train_subset", 10000)
    wait_idle(page)
    click(page, "train_start")
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)  # watching the charts, below
    page.evaluate(SCROLL_TO_BOTTOM)
    assert widget(page, "train_stop").count() == 1, "it ended before the charts were watched"
    save = widget(page, "save_model")
    save.wait_for(timeout=180_000)
    wait_idle(page)
    expect(save).to_be_in_viewport()
    assert_charts_readable(page)  # loss and accuracy, per batch and per epoch
    assert_no_exception(page)


def test_on_a_phone_compared_curves_keep_their_titles_and_legends_off_the_axes(phone, app_url):
    from harness.browser import widget

    page = phone
    page.goto(app_url + "/models")
    wait_idle(page)
    box = widget(page, "compare_curves").locator("input")
    for name in ("mnist-cnn-best", "mnist-dense-best", "mnist-dense-128", "fashion-cnn-wide"):
        box.fill(name)  # twelve legend entries in all, wrapped on a phone
        box.press("Enter")
        wait_idle(page)
    page.locator(".st-key-compare_chart .js-plotly-plot").first.wait_for()
    wait_idle(page)
    assert_charts_readable(page, charts=2)
    assert_no_exception(page)


# Where each chart's parts are on the screen: its title (in the page, above it), plot area, axes
# and legend.
CHART_PARTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
    const box = e => { if (!e) return null; const b = e.getBoundingClientRect();
                       return b.width && b.height ? [b.left, b.top, b.right, b.bottom] : null; };
    const column = plot.closest('[data-testid="stColumn"]');
    return {title: box(column && column.querySelector('[data-testid="stMarkdownContainer"]')),
            plot: box(plot.querySelector('.nsewdrag')), legend: box(plot.querySelector('.legend')),
            axes: [...plot.querySelectorAll('.xtick, .ytick, .g-xtitle, .g-ytitle')].map(box)
                      .filter(Boolean)};
})"""


def overlap(a, b) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


def assert_charts_readable(page, charts: int = 4):
    """Every chart is full width with its title over it, and no title or legend covers another
    chart's title, a plot area or an axis."""
    parts = page.evaluate(CHART_PARTS)
    assert len(parts) >= charts, parts  # loss and accuracy (per batch and per epoch)
    titles = [p["title"] for p in parts if p["title"]]
    assert len(titles) == len(parts), "a chart without its title above it"
    for chart in parts:
        assert chart["plot"][2] - chart["plot"][0] > 0.6 * PHONE["width"], chart  # not squeezed
        assert chart["title"][3] <= chart["plot"][1], chart  # the title over its plot
        for cover in [p for p in (chart["legend"],) if p] + titles:
            for part in [chart["plot"], *chart["axes"]]:
                assert not overlap(cover, part), (cover, part, chart)
    for i, a in enumerate(titles):
        assert not any(overlap(a, b) for b in titles[i + 1:]), titles


OPEN_SIDEBAR = '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'


def test_on_a_phone_the_sidebar_closes_once_a_page_is_chosen(phone, app_url):
    page = phone
    page.goto(app_url)
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    page.locator(OPEN_SIDEBAR).first.click()
    expect(sidebar).to_be_in_viewport()
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Models").click()
    page.get_by_role("heading", name="Models").first.wait_for()
    wait_idle(page)
    expect(sidebar).not_to_be_in_viewport()  # the page chosen is in view, not under the sidebar
    assert_no_exception(page)
