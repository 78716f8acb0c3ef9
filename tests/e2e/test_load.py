"""Load: two sessions training at once and a third drawing, on one 2-core machine.

Each session is its own browser context (its own Streamlit session). All three must finish, and
none may see another's job, charts or active model. Bounded in time; loopback only. The
figures are printed (run with -s) and written to tests/e2e/screenshots/load.json.
"""

from __future__ import annotations

import json
import re
import time

from tests.e2e.conftest import SCREENSHOTS, assert_no_exception, wait_idle
from tests.e2e.helpers import choose, click, fill_number, wait_until, widget
from tests.e2e.strokes import draw_on_canvas

BUDGET = 240  # seconds for the whole scenario


def open_session(browser, url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_idle(page)
    return context, page


def start_training(page, preset: str, epochs: int) -> None:
    choose(page, "train_model", preset)
    wait_idle(page)
    fill_number(page, "train_subset", 6000)
    wait_idle(page)
    fill_number(page, "train_epochs", epochs)
    wait_idle(page)
    click(page, "train_start")


def progress_text(page) -> str:
    bar = page.get_by_test_id("stProgress")
    return bar.inner_text() if bar.count() else ""


def test_two_trainings_and_a_drawing_session_at_once(browser, app_url):
    started = time.monotonic()
    a_ctx, a = open_session(browser, app_url + "/train")
    b_ctx, b = open_session(browser, app_url + "/train")
    c_ctx, c = open_session(browser, app_url)
    try:
        start_training(a, "dense-128", epochs=2)
        start_training(b, "sigmoid-10", epochs=3)

        latencies = []
        for version, (digit, left) in enumerate(((7, 40), (1, 60), (0, 40), (4, 50), (3, 40))):
            t0 = time.monotonic()
            draw_on_canvas(c, version, digit, 190, left, 45)
            try:
                wait_until(lambda digit=digit: c.get_by_test_id("answer").count()
                           and c.get_by_test_id("answer").first.inner_text().strip() == str(digit),
                           message=f"the drawing session's answer {digit}")
            except AssertionError:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                c.screenshot(path=str(SCREENSHOTS / "FAILED-load-drawing.png"))
                raise AssertionError(f"drew a {digit}, the page says "
                                     f"{c.get_by_test_id('answer').all_inner_texts()}") from None
            latencies.append(time.monotonic() - t0)
            # Each training session shows only its own job.
            assert "/3 ·" not in progress_text(a) and "/2 ·" not in progress_text(b)
            click(c, "clear_canvas")
            wait_idle(c)
            wait_until(lambda: c.get_by_test_id("answer").count() == 0, message="the cleared canvas")

        for page, name in ((a, "load-a"), (b, "load-b")):
            wait_until(lambda page=page: widget(page, "save_model").count(), timeout=BUDGET,
                       message=f"{name} to finish")
            wait_idle(page)
            widget(page, "save_name").locator("input").fill(name)
            click(page, "save_model")
            wait_idle(page)
            wait_until(lambda page=page, name=name: f"Saved as {name}" in page.inner_text("body"),
                       message=f"{name} saved")
        finished = time.monotonic() - started

        assert "Finished 2 epochs" in a.inner_text("body") and "Finished 3 epochs" in b.inner_text("body")
        active = {name: widget(p, "active_model").locator('[role="combobox"]').input_value()
                  for name, p in (("a", a), ("b", b))}
        assert active["a"].startswith("load-a") and active["b"].startswith("load-b"), active
        c.reload()
        wait_idle(c)
        c_active = widget(c, "active_model").locator('[role="combobox"]').input_value()
        assert c_active.startswith("mnist-cnn-best"), c_active  # untouched by the others' saves
        for page in (a, b, c):
            assert_no_exception(page)

        accuracy = {name: float(re.search(r"test accuracy (\d+\.\d+)%", p.inner_text("body")).group(1))
                    for name, p in (("a", a), ("b", b))}
        figures = {"scenario seconds": round(finished, 1),
                   "drawing answers, seconds (median)": round(sorted(latencies)[len(latencies) // 2], 2),
                   "drawing answers, seconds (max)": round(max(latencies), 2),
                   "test accuracy dense-128 / sigmoid-10 (%)": [accuracy["a"], accuracy["b"]]}
        print("\nload figures:", figures)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "load.json").write_text(json.dumps(figures, indent=1))
        assert finished < BUDGET
    finally:
        for context in (a_ctx, b_ctx, c_ctx):
            context.close()
