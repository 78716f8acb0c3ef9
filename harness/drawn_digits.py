"""The drawn-digit evaluation set: digits drawn with the mouse on the Draw page's real canvas.

    .venv/bin/python -m harness.drawn_digits   # draw the set again in Chromium (~6 min)
    .venv/bin/python -m bench.drawn_digits     # every bundled MNIST model's accuracy on it

`make` starts the app, opens the Draw page in headless Chromium and draws every digit with
scripted mouse strokes in two handwriting styles, at varied sizes, positions, slants, widths and
stroke widths (the page's own slider). It saves what the canvas holds, as the page receives it, to
harness/drawn_digits/<label>-<n>.png, with the drawing parameters in labels.json. Fixed seed: the
same set every time. Scoring runs each PNG through the Draw page's pipeline (nn.preprocess.to_mnist)
and the model.
"""

from __future__ import annotations

import base64
import io
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent / "drawn_digits"
SEED = 2026
PER_DIGIT = 16  # 8 per handwriting style
STROKE_WIDTHS = (10, 16, 22, 30)  # px on the 280 px canvas; the page's default is 20
CANVAS = 280


def _curve(fn, n: int = 24):
    return [fn(i / n) for i in range(n + 1)]


def _arc(cx, cy, rx, ry, start, end, n=20):
    return _curve(lambda t: (cx + rx * math.cos(math.radians(start + (end - start) * t)),
                             cy + ry * math.sin(math.radians(start + (end - start) * t))), n)


# A second way to write each digit, unlike tests/e2e/strokes.DIGITS: serifs, crossbars, open and
# closed tops, one-stroke loops.
OTHER_STYLE = {
    0: [_arc(0.5, 0.5, 0.26, 0.46, -100, 290, 30)],
    1: [[(0.35, 0.22), (0.55, 0.03), (0.55, 0.95)], [(0.32, 0.96), (0.78, 0.96)]],
    2: [[(0.2, 0.25), (0.35, 0.07), (0.62, 0.04), (0.8, 0.22), (0.72, 0.48), (0.2, 0.95), (0.86, 0.92)]],
    3: [[(0.2, 0.05), (0.8, 0.05), (0.45, 0.42)] + _arc(0.47, 0.7, 0.3, 0.27, -100, 160, 14)],
    4: [[(0.66, 0.98), (0.66, 0.02), (0.12, 0.66), (0.9, 0.66)]],
    5: [[(0.25, 0.06), (0.22, 0.45)] + _arc(0.47, 0.68, 0.3, 0.27, -120, 150, 14),
        [(0.25, 0.06), (0.82, 0.04)]],
    6: [[(0.75, 0.08), (0.5, 0.02), (0.28, 0.25), (0.22, 0.62)] + _arc(0.5, 0.7, 0.27, 0.25, 180, 540, 20)],
    7: [[(0.12, 0.08), (0.88, 0.08), (0.45, 0.98)], [(0.36, 0.52), (0.8, 0.52)]],
    8: [_curve(lambda t: (0.5 + 0.25 * math.sin(4 * math.pi * t),  # one stroke, crossing itself
                          0.5 - 0.46 * math.cos(2 * math.pi * t)), 40)],
    9: [_arc(0.5, 0.3, 0.27, 0.25, 0, 360, 20) + [(0.77, 0.3), (0.74, 0.65), (0.55, 0.97), (0.35, 0.95)]],
}


def variations(seed: int = SEED) -> list[dict]:
    """The drawings to make: label, style, size, slant, aspect, stroke width, position."""
    rng = np.random.default_rng(seed)
    plans = []
    for label in range(10):
        for n in range(PER_DIGIT):
            plans.append({
                "label": label, "n": n, "style": n % 2,
                "size": int(rng.integers(90, 231)),  # height of the digit in canvas px
                "slant": round(float(rng.uniform(-0.3, 0.3)), 3),  # x shift per unit of height
                "aspect": round(float(rng.uniform(0.65, 1.1)), 3),  # width / height
                "stroke": int(STROKE_WIDTHS[rng.integers(len(STROKE_WIDTHS))]),
                "where": [round(float(rng.random()), 3), round(float(rng.random()), 3)],
            })
    return sorted(plans, key=lambda p: p["stroke"])  # fewer slider changes


def strokes_for(plan: dict) -> tuple[list, float, float, float]:
    """The plan's strokes in a unit box, and the size and top-left corner to draw them at."""
    from harness.strokes import DIGITS

    base = DIGITS[plan["label"]] if plan["style"] == 0 else OTHER_STYLE[plan["label"]]
    shaped = [[(0.5 + (x - 0.5) * plan["aspect"] + plan["slant"] * (0.5 - y), y) for x, y in stroke]
              for stroke in base]
    xs = [x for stroke in shaped for x, _ in stroke]
    size = plan["size"]
    margin = plan["stroke"] / 2 + 4
    x_min, x_max = min(xs) * size, max(xs) * size
    room_x = CANVAS - 2 * margin - (x_max - x_min)
    room_y = CANVAS - 2 * margin - size
    left = margin - x_min + max(room_x, 0) * plan["where"][0]
    top = margin + max(room_y, 0) * plan["where"][1]
    return shaped, size, left, top


CANVAS_PNG = """(canvas) => canvas.toDataURL('image/png')"""


def set_stroke_width(page, width: int) -> None:
    from harness.browser import wait_idle

    thumb = page.locator(".st-key-stroke_width input[type='range']")
    thumb.focus()
    current = int(thumb.input_value())
    key = "ArrowRight" if width > current else "ArrowLeft"
    for _ in range(abs(width - current)):
        thumb.press(key)
    wait_idle(page)
    assert int(thumb.input_value()) == width, thumb.input_value()


def make(out: Path = HERE) -> None:
    """Draw every planned digit on the Draw page and save the canvas as PNG."""
    from playwright.sync_api import sync_playwright

    from harness.browser import click, launch, new_page, wait_idle
    from harness.server import start_app, stop_app
    from harness.strokes import INK_PIXELS, canvas_box, draw_strokes, use_classic_canvas

    out.mkdir(parents=True, exist_ok=True)
    plans = variations()
    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = launch(pw)
                page = new_page(browser)
                page.goto(app.url)
                wait_idle(page)
                use_classic_canvas(page)  # its stroke widths and its PNG, as these files were made
                version, stroke = 0, None
                for i, plan in enumerate(plans):
                    if plan["stroke"] != stroke:
                        set_stroke_width(page, plan["stroke"])
                        stroke = plan["stroke"]
                    strokes, size, left, top = strokes_for(plan)
                    layer = page.locator(f".st-key-canvas-{version} canvas.dc-canvas.lower-canvas")
                    for _ in range(3):  # a canvas mounted a moment ago can miss the first strokes
                        draw_strokes(page, canvas_box(page, version), strokes, size, left, top)
                        if layer.evaluate(INK_PIXELS) > 0:
                            break
                        page.wait_for_timeout(1000)
                    wait_idle(page)
                    data = layer.evaluate(CANVAS_PNG).split(",", 1)[1]
                    (out / f"{plan['label']}-{plan['n']:02d}.png").write_bytes(base64.b64decode(data))
                    click(page, "clear_canvas")
                    version += 1
                    wait_idle(page)
                    print(f"\r{i + 1}/{len(plans)}", end="", file=sys.stderr, flush=True)
                browser.close()
        finally:
            stop_app(app)
    (out / "labels.json").write_text(json.dumps(
        {"seed": SEED, "canvas": CANVAS, "drawings": {f"{p['label']}-{p['n']:02d}.png": p for p in plans}},
        indent=1))
    print(f"\n{len(plans)} drawings in {out}", file=sys.stderr)


def load(folder: Path = HERE) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
    """(canvas RGBA arrays, labels, file names) of the saved set."""
    from PIL import Image

    index = json.loads((folder / "labels.json").read_text())["drawings"]
    names = sorted(index)
    images = [np.asarray(Image.open(io.BytesIO((folder / name).read_bytes())).convert("RGBA"))
              for name in names]
    return images, np.array([index[n]["label"] for n in names]), names


def normalised(folder: Path = HERE) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(28x28 images as the Draw page's preprocessing makes them, labels, file names) of the set."""
    from nn.preprocess import to_mnist

    images, labels, names = load(folder)
    return np.stack([to_mnist(image) for image in images]), labels, names


def score(predictor, folder: Path = HERE) -> dict:
    """Accuracy of a predictor on the set, through the Draw page's preprocessing."""
    x, labels, names = normalised(folder)
    predicted = predictor.probabilities(x).argmax(axis=1)
    wrong = [(names[i], int(labels[i]), int(predicted[i])) for i in np.flatnonzero(predicted != labels)]
    return {"accuracy": float((predicted == labels).mean()), "n": len(labels), "wrong": wrong}


if __name__ == "__main__":
    make()
