"""From lifting the pen to the answer on screen, on the real Draw page in Chromium.

    .venv/bin/python -m bench.draw_latency [--drawings 10]   # prints the figures as JSON

The browser itself times it: a listener notes when the pen lifts (pointerup) and a
MutationObserver when the answer appears, so neither Playwright nor Python is in the figure. A
fresh server is started for each measurement of the first answer: the person opens the Draw page
as soon as it loads and draws at once. Then come `drawings` more, each after Clear, with the
bundled CNN alone, then with three models side by side. Single-stroke digits only: each is one
lift of the pen, so each is one answer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from harness.browser import launch, new_page, wait_idle, widget
from harness.server import start_app, stop_app
from harness.strokes import clear_drawing, draw_on_canvas, drawing_layer

ONE_STROKE = (0, 1, 2, 3, 5, 6, 7, 9)
TIMER = """() => {
    window.__latency = {up: null, answered: null};
    document.addEventListener('pointerup', () => {
        if (window.__latency.up === null) window.__latency.up = performance.now();
    }, true);
    new MutationObserver(() => {
        const t = window.__latency;
        if (t.up !== null && t.answered === null && document.querySelector('[data-testid="answer"]')) {
            t.answered = performance.now();
        }
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""
ANSWERED = "() => window.__latency && window.__latency.answered !== null"
SECONDS = "() => (window.__latency.answered - window.__latency.up) / 1000"


def one_answer(page, version: int, digit: int) -> float:
    """Draw `digit` on canvas-<version>; seconds from the pen lifting to the answer."""
    def restart_timer():  # a try whose strokes did not land does not count
        page.evaluate("() => { window.__latency = {up: null, answered: null}; }")

    draw_on_canvas(page, version, digit, 190, 45, 45, before_each_try=restart_timer)
    page.wait_for_function(ANSWERED, timeout=60_000)
    return page.evaluate(SECONDS)


def clear(page) -> None:
    clear_drawing(page)
    page.get_by_test_id("answer").first.wait_for(state="detached")


def first_answer(browser, tmp: Path) -> tuple[float, float]:
    """(seconds from server start to the page drawn, seconds from pen up to the first answer)."""
    started = time.monotonic()
    app = start_app(tmp)
    try:
        page = new_page(browser)
        page.goto(app.url)
        drawing_layer(page).wait_for()
        loaded = time.monotonic() - started
        page.evaluate(TIMER)
        seconds = one_answer(page, 0, 7)
        page.context.close()
        return loaded, seconds
    finally:
        stop_app(app)


def answers(page, n: int, first_version: int) -> list[float]:
    times = []
    for i in range(n):
        times.append(one_answer(page, first_version + i, ONE_STROKE[i % len(ONE_STROKE)]))
        clear(page)
    return times


def summary(times: list[float]) -> dict:
    return {"median": round(statistics.median(times), 3), "max": round(max(times), 3), "n": len(times)}


def measure(browser, drawings: int = 10, width: int = 1400, height: int = 1000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        loaded, first = first_answer(browser, Path(tmp) / "first")
        app = start_app(Path(tmp) / "app")
        try:
            page = new_page(browser, width, height)
            page.goto(app.url)
            wait_idle(page)
            page.evaluate(TIMER)
            one_answer(page, 0, 7)  # warm this session's caches
            clear(page)
            alone = answers(page, drawings, 1)
            one_answer(page, 1 + drawings, 7)  # the models to compare are chosen beside an answer
            compare = widget(page, "compare_models").locator("input")
            for name in ("mnist-dense-best", "mnist-dense-128"):
                compare.fill(name)
                compare.press("Enter")
                wait_idle(page)
            page.keyboard.press("Escape")
            clear(page)
            side_by_side = answers(page, drawings, 2 + drawings)
            page.context.close()  # an open page of a stopped server keeps reconnecting, costing CPU
        finally:
            stop_app(app)
    return {"page ready after server start, s": round(loaded, 2), "first answer, s": round(first, 3),
            "answers, one model, s": summary(alone),
            "answers, three models side by side, s": summary(side_by_side)}


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=10)
    args = parser.parse_args(argv)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        figures = measure(browser, args.drawings)
        browser.close()
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
