"""The live canvas in Chromium: the answer changes while the pen is down, with nothing sent to the
server until it lifts; then the server's answer agrees (the same class, probabilities within
1e-4); compared models answer live too and a forest says it answers on pen-up; a finger draws on
a phone; Undo and Clear; without WebAssembly the page says so once and the classic canvas
answers; the Models page downloads the exports; and no request leaves 127.0.0.1."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

import numpy as np
import pytest

from harness.browser import assert_no_exception, choose, new_page, select_row, wait_idle, widget
from harness.strokes import (
    DIGITS,
    LIVE_CANVAS,
    canvas_box,
    clear_drawing,
    draw_on_canvas,
    draw_strokes,
    touch_digit,
    use_classic_canvas,
)

AGREE = 1e-4  # the issue's: live and server probabilities


def live_answer(page, index: int = 0):
    return page.get_by_test_id("live-answer").nth(index)


def settled(page) -> None:
    """The live canvas has answered the drawing as it is now."""
    page.wait_for_function("() => { const l = window.__digitlabLive; return l && l.ready && !l.dirty "
                           "&& !l.busy; }")


def probabilities(element) -> np.ndarray:
    return np.array(json.loads(element.get_attribute("data-probabilities")))


def open_live(page, url: str) -> None:
    page.goto(url)
    page.locator(LIVE_CANVAS).wait_for()
    wait_idle(page)
    page.wait_for_function("() => window.__digitlabLive && window.__digitlabLive.ready", timeout=60_000)


def pen_down_drawing(page, digit: int, size=180, left=50, top=40):
    """Draw `digit` stroke by stroke, keeping the pen down on its last stroke; returns the points
    of that last stroke's end, where the pen still is."""
    box = canvas_box(page)
    strokes = DIGITS[digit]
    for n, stroke in enumerate(strokes):
        points = [(box["x"] + left + x * size, box["y"] + top + y * size) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=6)
        if n < len(strokes) - 1:
            page.mouse.up()


def test_the_answer_changes_while_the_pen_moves_and_the_server_agrees_after(browser, app_url):
    page = new_page(browser)
    sent, asked = [], []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(time.monotonic())))
    page.on("request", lambda request: asked.append(request.url))
    try:
        open_live(page, app_url)
        box = canvas_box(page)
        # A 1 first: one stroke up; then, the pen still down, the stroke turns left at the top: a 7.
        page.mouse.move(box["x"] + 145, box["y"] + 240)
        page.mouse.down()
        before = len(sent)
        page.mouse.move(box["x"] + 150, box["y"] + 40, steps=12)
        settled(page)
        assert live_answer(page).inner_text() == "1"
        page.mouse.move(box["x"] + 50, box["y"] + 45, steps=8)
        settled(page)
        assert live_answer(page).inner_text() == "7"
        assert len(sent) == before, "the page sent a message to the server while the pen was down"
        page.mouse.up()
        server = page.get_by_test_id("answer").first
        server.wait_for()
        settled(page)
        assert server.inner_text().strip() == live_answer(page).inner_text() == "7"
        assert np.abs(probabilities(server) - probabilities(live_answer(page))).max() <= AGREE
        timings = page.evaluate("window.__digitlabLive.timings")
        assert len(timings) >= 5 and np.median(timings) < 100  # measured for real by bench.live
        assert all(urlparse(url).hostname == "127.0.0.1" for url in asked if not url.startswith(
            ("data:", "blob:"))), [u for u in asked if urlparse(u).hostname != "127.0.0.1"][:5]
        assert_no_exception(page)
    finally:
        page.context.close()


def test_compared_models_answer_live_too(browser, app_url):
    page = new_page(browser)
    try:
        open_live(page, app_url)
        choose(page, "compare_models", "mnist-dense-128")
        wait_idle(page)
        page.wait_for_function("() => window.__digitlabLive.ready")
        pen_down_drawing(page, 3)
        settled(page)
        assert [live_answer(page, i).inner_text() for i in range(2)] == ["3", "3"]
        page.mouse.up()
        page.get_by_test_id("answer").nth(1).wait_for()
        settled(page)
        for i in range(2):
            server = page.get_by_test_id("answer").nth(i)
            assert np.abs(probabilities(server) - probabilities(live_answer(page, i))).max() <= AGREE
        assert_no_exception(page)
    finally:
        page.context.close()


def test_undo_takes_the_last_stroke_back_and_clear_empties_the_canvas(browser, app_url):
    page = new_page(browser)
    try:
        open_live(page, app_url)
        box = canvas_box(page)
        first, second = DIGITS[4]
        draw_strokes(page, box, [first], 180, 50, 40)
        settled(page)
        alone = probabilities(live_answer(page))
        draw_strokes(page, box, [second], 180, 50, 40)
        page.get_by_test_id("answer").first.wait_for()
        settled(page)
        assert live_answer(page).inner_text() == "4"
        page.get_by_test_id("live-undo").click()  # the upright goes: the first stroke alone again
        settled(page)
        assert page.evaluate("window.__digitlabLive.strokes.length") == 1
        assert np.abs(probabilities(live_answer(page)) - alone).max() <= 1e-6  # redrawn as it was drawn
        page.get_by_test_id("live-clear").click()
        settled(page)
        assert live_answer(page).inner_text() == ""
        page.get_by_test_id("answer").first.wait_for(state="detached")  # the server's went too
        assert box == canvas_box(page)
        assert_no_exception(page)
    finally:
        page.context.close()


def test_a_finger_draws_with_live_answers_on_a_phone(browser, app_url):
    page = new_page(browser, 390, 844, has_touch=True, is_mobile=True, device_scale_factor=2)
    try:
        open_live(page, app_url)
        backing = page.locator(LIVE_CANVAS).evaluate("c => [c.width, c.height]")
        assert backing == [280, 280]  # whatever the devicePixelRatio (2 here)
        cdp = page.context.new_cdp_session(page)
        touch_digit(page, cdp, canvas_box(page), 7, 170, 55, 45)
        settled(page)
        assert live_answer(page).inner_text() == "7"
        answer, pad = live_answer(page).bounding_box(), canvas_box(page)
        assert pad["y"] + pad["height"] <= answer["y"] <= pad["y"] + pad["height"] + 150  # right under it
        page.get_by_test_id("answer").first.wait_for()
        assert_no_exception(page)
    finally:
        page.context.close()


def test_without_webassembly_the_page_says_so_once_and_the_classic_canvas_answers(browser, app_url):
    page = new_page(browser)
    page.add_init_script("delete window.WebAssembly")
    try:
        page.goto(app_url)
        page.get_by_text("The live canvas could not start in this browser").wait_for()
        assert "no WebAssembly" in page.locator("main").inner_text()
        draw_on_canvas(page, 0, 7, 180, 50, 40)
        page.get_by_test_id("answer").first.wait_for()
        assert page.get_by_test_id("answer").first.inner_text().strip() == "7"
        assert page.get_by_text("The live canvas could not start").count() == 0  # said once
        assert_no_exception(page)
    finally:
        page.context.close()


def test_the_live_and_the_classic_canvas_give_the_same_answer(browser, app_url):
    page = new_page(browser)
    try:
        open_live(page, app_url)
        answers = {}
        for digit in (2, 5, 8):
            draw_on_canvas(page, 0, digit, 190, 45, 45)
            page.get_by_test_id("answer").first.wait_for()
            answers[("live", digit)] = page.get_by_test_id("answer").first.inner_text().strip()
            clear_drawing(page)
            page.get_by_test_id("answer").first.wait_for(state="detached")
        use_classic_canvas(page)
        for version, digit in enumerate((2, 5, 8)):
            draw_on_canvas(page, version, digit, 190, 45, 45)
            page.get_by_test_id("answer").first.wait_for()
            wait_idle(page)
            answers[("classic", digit)] = page.get_by_test_id("answer").first.inner_text().strip()
            clear_drawing(page)
            page.get_by_test_id("answer").first.wait_for(state="detached")
        assert answers == {(canvas, d): str(d) for canvas in ("live", "classic") for d in (2, 5, 8)}
        assert_no_exception(page)
    finally:
        page.context.close()


def test_the_runtime_is_served_compressed_once_and_cached_and_nothing_else(app_url):
    from ui import runtime_files

    base = f"{app_url}/{runtime_files.PREFIX}/{runtime_files.version()}"
    request = urllib.request.Request(f"{base}/ort-wasm-simd-threaded.wasm",
                                     headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Content-Type"] == "application/wasm"
        assert "immutable" in response.headers["Cache-Control"]
        assert len(response.read()) < 5 * 2**20  # 14 MB, sent as compressed at set-up
    for wrong in (f"{base}/..%2F..%2Fapp.py", f"{base}/ort-wasm-simd-threaded.wasm.gz", f"{base}/.version",
                  f"{app_url}/{runtime_files.PREFIX}/0.0.1/ort.wasm.min.mjs"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(wrong, timeout=30)
        assert refused.value.code in (400, 404), wrong  # Streamlit refuses a path out (400) first


@pytest.mark.parametrize("fmt", ["onnx", "tflite"])
def test_the_models_page_downloads_the_exports(page, app_url, fmt, tmp_path):
    page.goto(f"{app_url}/models")
    wait_idle(page)
    select_row(page, "models_table", "mnist-dense-128")
    with page.expect_download(timeout=120_000) as download:
        widget(page, f"download_{fmt}").locator("button").first.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == f"mnist-dense-128.{fmt}" and path.stat().st_size > 100_000
    assert_no_exception(page)


def test_a_model_is_served_only_at_the_address_its_page_was_given(browser, app_url):
    """The browser fetches each model from an address this server made up for it and handed to
    the page (ui.model_files); an address nobody was given, or one changed by a character, is
    refused."""
    from ui import model_files

    page = new_page(browser)
    try:
        open_live(page, app_url)
        given = page.evaluate("window.__digitlabLive.header.models.map((m) => m.url)")
        assert given and all(url.startswith(f"/{model_files.PREFIX}/") for url in given)
        with urllib.request.urlopen(app_url + given[0], timeout=30) as response:
            assert response.headers["Cache-Control"].startswith("private")
            assert response.read(4096)  # an ONNX file: a protobuf whose first field is ir_version
        token = given[0].rsplit("/", 1)[1].removesuffix(".onnx")
        changed = token[:-1] + ("0" if token[-1] != "0" else "1")
        for wrong in (f"/{model_files.PREFIX}/{changed}.onnx", f"/{model_files.PREFIX}/{'0' * 64}.onnx",
                      f"/{model_files.PREFIX}/..%2F..%2Fapp.py.onnx"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(app_url + wrong, timeout=30)
            assert refused.value.code in (400, 404), wrong
        assert_no_exception(page)
    finally:
        page.context.close()
