"""Draw page in Chromium: digits drawn with the mouse on the real canvas, read by the bundled CNN."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from harness.browser import assert_no_exception, new_page, wait_idle, widget
from harness.server import start_app, stop_app
from harness.strokes import DIGITS, canvas_box, clear_drawing, draw_digit, draw_on_canvas, draw_strokes
from tests.e2e.conftest import SCREENSHOTS

# (digit, box size, left, top) on the 280x280 canvas: big, small, off-centre, in a corner.
DRAWINGS = [
    (0, 200, 40, 40),
    (1, 160, 20, 100),
    (3, 180, 90, 30),
    (4, 120, 140, 140),
    (7, 80, 10, 10),  # small, top-left corner
    (7, 220, 30, 30),
]


def answer(page) -> str:
    box = page.get_by_test_id("answer").first
    box.wait_for()
    return box.inner_text().strip()


def clear(page) -> None:
    clear_drawing(page)
    wait_idle(page)


def test_drawn_digits_are_read_and_clear_shows_the_prompt(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    assert "Draw a digit" in page.inner_text("body")  # blank canvas: a prompt, no prediction
    assert page.get_by_test_id("answer").count() == 0
    answers = {}
    for version, (digit, size, left, top) in enumerate(DRAWINGS):
        draw_on_canvas(page, version, digit, size, left, top)
        wait_idle(page)
        answers[(digit, size)] = answer(page)
        if (digit, size) == (4, 120):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "draw.png"), full_page=True)
        clear(page)
        expect(page.get_by_test_id("answer")).to_have_count(0)
    assert answers == {(d, s): str(d) for d, s, _, _ in DRAWINGS}
    assert "Draw a digit" in page.inner_text("body")
    assert_no_exception(page)


@pytest.mark.parametrize("digit", sorted(set(DIGITS) - {d for d, *_ in DRAWINGS}))
def test_the_other_digits_too(page, app_url, digit):
    page.goto(app_url)
    wait_idle(page)
    draw_digit(page, canvas_box(page), digit, 190, 45, 45)
    wait_idle(page)
    assert answer(page) == str(digit)


def test_the_first_drawing_on_a_fresh_server_is_answered(browser, tmp_path):
    """Open the Draw page as soon as the server answers and draw at once (the answer's speed is
    measured by bench.draw_latency, not here)."""
    app = start_app(tmp_path)
    try:
        page = new_page(browser)
        page.goto(app.url)
        draw_on_canvas(page, 0, 7, 180, 50, 40)  # one stroke: its first answer is the final one
        assert answer(page) == "7"
        assert_no_exception(page)
        page.context.close()
    finally:
        stop_app(app)


ZIGZAG = [[(k / 10, 0.1 if k % 2 else 0.9) for k in range(11)]]  # no digit: read as '4, 98% sure'


def test_a_scribble_is_called_unlike_what_it_learned_from_and_a_digit_is_not(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    draw_strokes(page, canvas_box(page), ZIGZAG, 230, 25, 25)
    wait_idle(page)
    answer(page)  # it still answers: it must pick one of ten
    caveat = page.locator(".st-key-unfamiliar")
    expect(caveat).to_be_visible()
    assert "Unlike anything it learned from" in caveat.inner_text()
    clear(page)
    draw_on_canvas(page, 1, 7, 190, 45, 45)
    wait_idle(page)
    assert answer(page) == "7"
    expect(caveat).to_have_count(0)
    assert_no_exception(page)


def paper_photo(digit: int) -> bytes:
    """A dark-on-light 'photo' of a digit: grey paper, a pen line, JPEG noise."""
    image = Image.new("RGB", (400, 300), (205, 200, 190))
    pen = ImageDraw.Draw(image)
    for stroke in DIGITS[digit]:
        pen.line([(130 + x * 160, 50 + y * 200) for x, y in stroke], fill=(40, 40, 60), width=14,
                 joint="curve")
    noisy = np.asarray(image, dtype=np.int16) + np.random.default_rng(0).integers(-12, 12, (300, 400, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def test_upload_a_photo_of_a_digit(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    widget(page, "input_mode").get_by_role("radio", name="Upload").click()
    wait_idle(page)
    page.locator('.st-key-upload input[type="file"]').set_input_files(
        files=[{"name": "three.jpg", "mimeType": "image/jpeg", "buffer": paper_photo(3)}])
    wait_idle(page)
    assert answer(page) == "3"
    page.locator('.st-key-upload input[type="file"]').set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image at all"}])
    wait_idle(page)
    assert "can't be used" in page.inner_text("body")
    assert page.get_by_test_id("answer").count() == 0
    assert_no_exception(page)
