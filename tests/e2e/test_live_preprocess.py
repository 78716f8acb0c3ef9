"""The live canvas's preprocessing (ui/live/preprocess.js) against nn.preprocess.to_mnist, in
Chromium: golden arrays from Python, checked by the JavaScript in the browser, on 330 canvases
(the harness's digits at many sizes and places, thin and thick, drawn by Pillow and by the
browser's own canvas; random scribbles; dots; empty canvases)."""

from __future__ import annotations

import base64
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from harness.browser import new_page
from harness.strokes import DIGITS
from nn.preprocess import DotError, EmptyImageError, to_mnist
from ui.live_canvas import ASSETS

SIDE = 280
TOLERANCE = 1e-5  # the issue's: the same outcome, and at most this far apart


def pillow_canvas(strokes, width: float, size: float, left: float, top: float) -> np.ndarray:
    """White strokes on an opaque black 280x280 canvas, as RGBA."""
    image = Image.new("RGBA", (SIDE, SIDE), (0, 0, 0, 255))
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(left + x * size, top + y * size) for x, y in stroke]
        if len(points) == 1:
            (x, y), r = points[0], width / 2
            pen.ellipse((x - r, y - r, x + r, y + r), fill="white")
        else:
            pen.line(points, fill="white", width=int(width), joint="curve")
    return np.asarray(image)


def canvases() -> list[tuple[str, object]]:
    """(what, strokes spec or RGBA array): each either drawn by Pillow here or by the browser."""
    rng = random.Random(7)
    made = []
    for digit, strokes in DIGITS.items():
        for _ in range(12):
            size, width = rng.uniform(40, 250), rng.choice([3, 6, 12, 20, 30, 40])
            left, top = rng.uniform(-20, SIDE - size * 0.8), rng.uniform(-20, SIDE - size * 0.8)
            made.append((f"pillow {digit}", pillow_canvas(strokes, width, size, left, top)))
            made.append((f"browser {digit}", (strokes, width, size, left, top)))
    for i in range(50):
        scribble = [[(rng.random(), rng.random()) for _ in range(rng.randint(2, 8))]
                    for _ in range(rng.randint(1, 4))]
        made.append((f"scribble {i}", pillow_canvas(scribble, rng.choice([4, 15, 35]), rng.uniform(30, 270),
                                                    rng.uniform(0, 60), rng.uniform(0, 60))))
    for i in range(20):  # dots, large and small, and tiny digits
        made.append((f"dot {i}", (([(0.5, 0.5)],), rng.choice([8, 20, 40]), 10, rng.uniform(20, 250),
                                  rng.uniform(20, 250))))
    for i in range(10):
        made.append((f"empty {i}", np.tile(np.array([0, 0, 0, 255], np.uint8), (SIDE, SIDE, 1))))
    return made


def python_outcome(rgba: np.ndarray):
    try:
        return "image", to_mnist(rgba)
    except DotError:
        return "dot", None
    except EmptyImageError:
        return "empty", None


BROWSER_DRAWS = """([strokes, width, size, left, top]) => {
    const c = document.createElement('canvas'); c.width = c.height = 280;
    const pen = c.getContext('2d', {willReadFrequently: true});
    pen.fillStyle = '#000'; pen.fillRect(0, 0, 280, 280);
    pen.strokeStyle = pen.fillStyle = '#fff'; pen.lineWidth = width; pen.lineCap = pen.lineJoin = 'round';
    for (const stroke of strokes) {
        const pts = stroke.map(([x, y]) => [left + x * size, top + y * size]);
        pts.forEach((p, i) => {
            const q = pts[Math.max(0, i - 1)];
            pen.beginPath();
            if (i === 0) { pen.arc(p[0], p[1], width / 2, 0, 2 * Math.PI); pen.fill(); }
            else { pen.moveTo(q[0], q[1]); pen.lineTo(p[0], p[1]); pen.stroke(); }
        });
    }
    const data = pen.getImageData(0, 0, 280, 280).data;
    let s = ''; for (let i = 0; i < data.length; i++) s += String.fromCharCode(data[i]);
    return btoa(s);
}"""

JS_OUTCOME = """(b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const out = toMnist(bytes, 280, 280);
    if (out.image) return ['image', Array.from(out.image)];
    return [out.dot ? 'dot' : 'empty', null];
}"""


@pytest.fixture(scope="module")
def js_page(browser):
    page = new_page(browser)
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=(ASSETS / "preprocess.js").read_text())
    yield page
    page.context.close()


def test_the_browser_preprocesses_every_canvas_as_python_does(js_page):
    made = canvases()
    assert len(made) >= 300
    worst, outcomes = 0.0, {"image": 0, "dot": 0, "empty": 0}
    for what, canvas in made:
        if isinstance(canvas, tuple):  # drawn by the browser's canvas, read back here
            raw = base64.b64decode(js_page.evaluate(BROWSER_DRAWS, list(canvas)))
            canvas = np.frombuffer(raw, np.uint8).reshape(SIDE, SIDE, 4)
        expected_kind, expected = python_outcome(canvas)
        kind, image = js_page.evaluate(JS_OUTCOME, base64.b64encode(canvas.tobytes()).decode())
        assert kind == expected_kind, f"{what}: Python says {expected_kind}, the browser {kind}"
        outcomes[kind] += 1
        if expected is not None:
            difference = float(np.abs(np.asarray(image, np.float32).reshape(28, 28) - expected).max())
            assert difference <= TOLERANCE, f"{what}: {difference:.2e} apart"
            worst = max(worst, difference)
    assert outcomes["image"] >= 250 and outcomes["dot"] >= 5 and outcomes["empty"] >= 10, outcomes
    print(f"{len(made)} canvases, {outcomes}, largest difference {worst:.2e}")
