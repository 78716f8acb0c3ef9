"""The Learn page, measured in Chromium on the app as run.sh serves it: for every lesson, from
opening its address to its first result on screen, and from changing one value to the result that
changed (a result is a `lesson-result` element; its data-value is what the page computed).

    .venv/bin/python -m bench.learn [--rounds 3]

Each lesson opens in a fresh page of one browser, after the server's warm-up has finished (as a
server that has been up a while; the first lesson of the session then pays for its data set once,
counted in its row). The change is typed into the value's box and Enter pressed; the time runs
from the key to the new value in the page, polled on every animation frame.

Targets: a lesson opens within 2 s; a change shows within 300 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from harness.browser import launch, new_page, wait_idle, widget
from harness.server import start_app, stop_app, wait_warm
from nn import lesson_plan

# Per lesson: the value changed, to what, and the result that must change.
CHANGES = {
    "one-weight": ("weight", "0.2", "prediction"),
    "several-inputs": ("game", "3", "prediction"),
    "several-outputs": ("input", "0.8", "hurt"),
    "hidden-layer": ("game", "2", "hurt"),
    "gradient-descent": ("alpha", "0.5", "weight"),
    "many-weights": ("alpha", "0.02", "first_weight"),
    "pixels": ("image", "1", "score"),
    "backprop": ("label", "3", "error"),
    "convolution": ("row", "5", "output"),
    "softmax": ("true", "1", "loss"),
}
RESULT = "[data-testid='lesson-result'][data-key='{}']"


def value_of(page, key: str) -> str | None:
    return page.evaluate(f'() => document.querySelector("{RESULT.format(key)}")?.dataset.value ?? null')


def one_lesson(browser, url: str, lesson: str) -> dict:
    name, new, key = CHANGES[lesson]
    page = new_page(browser)
    try:
        start = time.perf_counter()
        page.goto(f"{url}/learn?lesson={lesson}")
        page.locator(RESULT.format(key)).wait_for(timeout=60_000)
        opened = time.perf_counter() - start
        wait_idle(page)
        before = value_of(page, key)
        box = widget(page, f"learn_{lesson.replace('-', '_')}_{name}").locator("input")
        box.fill(new)
        start = time.perf_counter()
        box.press("Enter")
        page.wait_for_function(
            f'(before) => {{ const e = document.querySelector("{RESULT.format(key)}"); '
            "return e && e.dataset.value !== before; }",
            arg=before,
            polling="raf",
            timeout=30_000,
        )
        changed = time.perf_counter() - start
        return {"opened": opened, "changed": changed}
    finally:
        page.context.close()


def measure(rounds: int) -> dict:
    from playwright.sync_api import sync_playwright

    timings = {lesson.id: [] for lesson in lesson_plan.LESSONS}
    with tempfile.TemporaryDirectory(prefix="digitlab-learn-") as tmp, sync_playwright() as pw:
        app = start_app(Path(tmp))
        try:
            browser = launch(pw)
            wait_warm(app)
            for _ in range(rounds):
                for lesson in timings:
                    timings[lesson].append(one_lesson(browser, app.url, lesson))
            browser.close()
        finally:
            stop_app(app)
    return {
        lesson: {
            "opens, s (median)": round(statistics.median(t["opened"] for t in rows), 2),
            "opens, s (slowest)": round(max(t["opened"] for t in rows), 2),
            "reacts, ms (median)": round(1000 * statistics.median(t["changed"] for t in rows)),
            "reacts, ms (slowest)": round(1000 * max(t["changed"] for t in rows)),
        }
        for lesson, rows in timings.items()
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each lesson is opened and changed")
    args = parser.parse_args(argv)
    figures = measure(args.rounds)
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    slow = [
        lesson
        for lesson, f in figures.items()
        if f["opens, s (median)"] > 2 or f["reacts, ms (median)"] > 300
    ]
    print("all within the targets" if not slow else f"over a target: {', '.join(slow)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
