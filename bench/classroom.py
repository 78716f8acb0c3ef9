"""A class on one server: N browser sessions press Train at the same moment, one more draws.

    .venv/bin/python -m bench.classroom [--sessions 12]   # prints the figures as JSON

Each session is its own browser context in per-user mode (a workspace of its own), on the Train
page with dense-128 for one epoch on all 60,000 images. The scenario measures how long each
waits to see its run's progress or its place in the queue, how long the drawing session waits
for each answer, the memory of the server's whole process tree while it runs, and when every
run has finished. tests/e2e/test_load.py runs it and checks what must hold; bench.run records the
figures in RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.draw_latency import TIMER, clear, one_answer
from harness.browser import choose, click, fill_number, launch, new_page, open_train_form, wait_idle, widget
from harness.server import App, memory_mb, start_app, stop_app

FIRST_SIGN = """() => {
    const bar = document.querySelector('[data-testid="stProgress"]');
    if (!bar) return null;
    const text = bar.innerText;
    const place = text.match(/number (\\d+) in the queue/);
    if (place) return "queued " + place[1];
    return /epoch \\d+\\/\\d+ · batch [1-9]/.test(text) ? "training" : null;
}"""
DRAWINGS = (7, 1, 0, 3, 2, 6, 9, 5, 7, 0)  # one stroke each: one lift of the pen, one answer
BUDGET = 420  # seconds for the whole scenario


@dataclass
class Figures:
    sessions: int
    quiet_first_batch_seconds: list[float] = field(default_factory=list)  # one person, before the class
    first_sign_seconds: list[float] = field(default_factory=list)  # per session: progress or place
    first_signs: list[str] = field(default_factory=list)  # "training" or "queued N"
    answer_seconds: list[float] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)  # (drawn, read)
    memory_mb: dict = field(default_factory=lambda: {"rss": 0.0, "pss": 0.0})  # the peak
    all_finished_seconds: float | None = None
    accuracies: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        quiet = self.quiet_first_batch_seconds or [float("nan")]
        return {
            "quiet server: Train pressed to a batch on the page, s (median / max)":
                [round(statistics.median(quiet), 2), round(max(quiet), 2)],
            "sessions": self.sessions,
            "first sign, seconds (median / max)": [round(statistics.median(self.first_sign_seconds), 1),
                                                   round(max(self.first_sign_seconds), 1)],
            "drawing answers, seconds (median / max)": [round(statistics.median(self.answer_seconds), 2),
                                                        round(max(self.answer_seconds), 2)],
            "drawing answers, seconds (each)": [round(s, 2) for s in self.answer_seconds],
            "peak memory of the server's process tree, MB (RSS / PSS)":
                [round(self.memory_mb["rss"]), round(self.memory_mb["pss"])],
            "all runs finished after, seconds": round(self.all_finished_seconds or -1, 1),
            "test accuracy of the runs (min)": round(min(self.accuracies or [0]), 4),
        }


def watch_memory(app: App, figures: Figures, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        now = memory_mb(app.process.pid)
        for key in ("rss", "pss"):
            figures.memory_mb[key] = max(figures.memory_mb[key], now[key])


def prepare(browser, url: str):
    page = new_page(browser)
    open_train_form(page, url)
    choose(page, "train_model", "dense-128")
    wait_idle(page)
    fill_number(page, "train_epochs", 1)
    wait_idle(page)
    return page


def draw_meanwhile(page, figures: Figures) -> None:
    """Single-stroke digits, timed in the browser from the pen lifting to the answer."""
    page.evaluate(TIMER)
    for version, digit in enumerate(DRAWINGS):
        figures.answer_seconds.append(one_answer(page, version, digit))
        figures.answers.append((digit, page.get_by_test_id("answer").first.inner_text().strip()))
        clear(page)


def first_batch_shown(app: App, browser, repeat: int = 3) -> list[float]:
    """One person on a quiet server: seconds from pressing Train to a batch on the page. The
    first, untimed run lets the server's first warm worker finish starting."""
    times = []
    for i in range(repeat + 1):
        page = prepare(browser, app.url)
        start = time.monotonic()
        click(page, "train_start")
        page.wait_for_function(f"() => ({FIRST_SIGN})() === 'training'", timeout=120_000)
        if i:
            times.append(time.monotonic() - start)
        widget(page, "save_model").wait_for(timeout=120_000)
        page.context.close()
    return times


def run_classroom(app: App, browser, sessions: int = 12) -> tuple[Figures, list]:
    """The scenario against a running app (per-user mode); returns the figures and the pages."""
    figures = Figures(sessions)
    pages = [prepare(browser, app.url) for _ in range(sessions)]
    drawer = new_page(browser)
    drawer.goto(app.url)
    wait_idle(drawer)
    stop = threading.Event()
    watcher = threading.Thread(target=watch_memory, args=(app, figures, stop), daemon=True)
    watcher.start()
    try:
        start = time.monotonic()
        for page in pages:  # as close to "at once" as one browser can click
            click(page, "train_start")
        for page in pages:
            sign = page.wait_for_function(FIRST_SIGN, timeout=120_000).json_value()
            figures.first_signs.append(sign)
            figures.first_sign_seconds.append(time.monotonic() - start)
        draw_meanwhile(drawer, figures)
        for page in pages:
            widget(page, "save_model").wait_for(timeout=BUDGET * 1000)
        figures.all_finished_seconds = time.monotonic() - start
        for page in pages:
            result = page.get_by_text("Finished 1 epoch").first.inner_text()
            figures.accuracies.append(float(re.search(r"test accuracy (\d+\.\d+)%", result).group(1)) / 100)
    finally:
        stop.set()
        watcher.join()
    return figures, [*pages, drawer]


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(Path(tmp), env={"DIGITLAB_WORKSPACES": "per-user"})
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                quiet = first_batch_shown(app, browser)
                figures, _ = run_classroom(app, browser, args.sessions)
                figures.quiet_first_batch_seconds = quiet
                browser.close()
        finally:
            stop_app(app)
    print(json.dumps(figures.summary(), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
