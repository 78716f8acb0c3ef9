"""Digits as pen strokes in a unit box, placed on the canvas at any size and position."""

from __future__ import annotations

import math
import time

Stroke = list[tuple[float, float]]


def _ellipse(cx, cy, rx, ry, start=-90, end=270, n=28) -> Stroke:
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in (start + (end - start) * i / n for i in range(n + 1))]


DIGITS: dict[int, list[Stroke]] = {
    0: [_ellipse(0.5, 0.5, 0.3, 0.45)],
    1: [[(0.45, 0.2), (0.6, 0.02), (0.58, 0.98)]],
    2: [_ellipse(0.5, 0.28, 0.28, 0.24, start=-170, end=40, n=12) + [(0.18, 0.95), (0.85, 0.95)]],
    3: [_ellipse(0.48, 0.27, 0.27, 0.23, start=-160, end=90, n=12)
        + _ellipse(0.48, 0.72, 0.3, 0.25, start=-90, end=160, n=12)],
    4: [[(0.3, 0.02), (0.15, 0.6), (0.85, 0.6)], [(0.65, 0.25), (0.65, 0.98)]],
    5: [[(0.8, 0.05), (0.25, 0.05), (0.22, 0.45)]
        + _ellipse(0.47, 0.67, 0.3, 0.27, start=-120, end=150, n=12)],
    6: [[(0.7, 0.02), (0.35, 0.4)] + _ellipse(0.5, 0.7, 0.27, 0.27, start=200, end=560, n=20)],
    7: [[(0.12, 0.08), (0.88, 0.08), (0.4, 0.98)]],
    8: [_ellipse(0.5, 0.27, 0.22, 0.23, start=90, end=450, n=20),
        _ellipse(0.5, 0.72, 0.28, 0.26, start=-90, end=270, n=20)],
    9: [_ellipse(0.45, 0.3, 0.27, 0.26, start=0, end=360, n=20) + [(0.72, 0.3), (0.68, 0.98)]],
}


LIVE_CANVAS = ".st-key-live_canvas canvas.pad"  # the Draw page's own canvas (ui.live_canvas)


def drawing_layer(page, version: int = 0):
    """The canvas the pen draws on: the live canvas, or the classic one (streamlit-drawable-canvas,
    whose Clear mounts a new canvas, key canvas-<version>), whichever the page shows."""
    return page.locator(f"{LIVE_CANVAS}, .st-key-canvas-{version} canvas.upper-canvas").first


def canvas_box(page, version: int = 0) -> dict:
    """Where the canvas is, once it is on the page."""
    canvas = drawing_layer(page, version)
    canvas.wait_for()
    return canvas.bounding_box()


def is_live(page) -> bool:
    return page.locator(LIVE_CANVAS).count() > 0


def clear_drawing(page) -> None:
    """The canvas's own Clear: the live canvas's, or the classic canvas's button."""
    if is_live(page):
        page.get_by_test_id("live-clear").click()
    else:
        page.locator(".st-key-clear_canvas button").first.click()


def use_classic_canvas(page) -> None:
    """The Draw page's choice: the classic canvas, answered by the server on pen-up."""
    page.locator(".st-key-canvas_kind").get_by_role("radio", name="Classic").click()
    page.locator(".st-key-canvas-0 canvas.upper-canvas").wait_for()


INK_PIXELS = """(canvas) => {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 128) ink++;
    return ink;
}"""


def has_ink(page, version: int, timeout: float = 2.0) -> bool:
    """Whether the canvas shows ink within `timeout` seconds. (Right after the pen lifts, the
    classic canvas's fabric.js clears its layer and draws the finished path on the next frame.)"""
    classic = f".st-key-canvas-{version} canvas.dc-canvas.lower-canvas"
    layer = page.locator(LIVE_CANVAS if is_live(page) else classic)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if layer.evaluate(INK_PIXELS) > 0:  # locators reach into the shadow DOM
            return True
        time.sleep(0.05)
    return False


def draw_on_canvas(page, version: int, digit: int, size: float, left: float, top: float,
                   before_each_try=None, finger=None) -> None:
    """Draw `digit` on canvas-<version> with the mouse (or with a finger: pass a CDP session as
    `finger`), again if the strokes did not land.

    A canvas mounted a moment ago (after Clear, on a busy machine) can miss the first strokes;
    a person never draws that fast. `before_each_try()` runs before every attempt.
    """
    for _ in range(3):
        if before_each_try is not None:
            before_each_try()
        if finger is None:
            draw_digit(page, canvas_box(page, version), digit, size, left, top)
        else:
            touch_digit(page, finger, canvas_box(page, version), digit, size, left, top)
        if has_ink(page, version):
            return
    raise AssertionError(f"the strokes of a {digit} never reached canvas-{version}")


def draw_digit(page, canvas_box: dict, digit: int, size: float, left: float, top: float,
               steps: int = 4) -> None:
    """Draw `digit` with the mouse in a size x size box at (left, top) of the canvas."""
    draw_strokes(page, canvas_box, DIGITS[digit], size, left, top, steps)


def draw_strokes(page, canvas_box: dict, strokes: list[Stroke], size: float, left: float, top: float,
                 steps: int = 4) -> None:
    """Draw unit-box `strokes` with the mouse, scaled to `size` px, at (left, top) of the canvas."""
    for stroke in strokes:
        points = [(canvas_box["x"] + left + x * size, canvas_box["y"] + top + y * size) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=steps)
        page.mouse.up()


def touch_digit(page, cdp, canvas_box: dict, digit: int, size: float, left: float, top: float,
                steps: int = 4) -> None:
    """Draw `digit` with a finger: the browser's own touch input (CDP Input.dispatchTouchEvent)."""
    for stroke in DIGITS[digit]:
        points = [(canvas_box["x"] + left + x * size, canvas_box["y"] + top + y * size) for x, y in stroke]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart",
                                               "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            for i in range(1, steps + 1):
                x, y = x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
