"""A data set of one's own, trained as a user trains it: five symbols (✓, ž, ą, a house, a star),
25 drawings a class by each of four made-up people (harness.symbols), put in a set through the
store the Data sets page uses, then `python -m nn train --data symbols --json` with the default
recipe for small data. The set is split by person: one whole person's drawings are held out, so
the test accuracy is how well the model reads someone it never saw.

    .venv/bin/python -m bench.own_symbols [--per-class 25] [--seeds 0 1 2] [--page 10]

With --page N it also adds N drawings on the Data sets page in Chromium, the app started as
run.sh starts it, and times each from the click on "Add" to the new count on screen (polled on
every animation frame from Playwright, so the figure holds a few ms of its own), once the
server's warm-up has finished (while it imports TensorFlow, once after a start, the server
answers up to a second late).

Targets: the held-out person read at 90% or better; training within 60 s; adding a drawing
within 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import symbols
from nn.storage.paths import REPO_ROOT

SET = "symbols"


def fill(drawings_dir: Path, per_class: int) -> tuple[float, int]:
    """The set, drawn; (median seconds to add a drawing, drawings added)."""
    from nn.storage.own_datasets import DatasetStore

    own = DatasetStore(drawings_dir).create(SET, list(symbols.SYMBOLS))
    times = []
    for symbol, person, image in symbols.drawings(per_class):
        start = time.perf_counter()
        own.add(image, symbol, by=person)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], len(times)


def held_out_person(drawings_dir: Path, seed: int) -> str:
    from nn.own_data import as_dataset
    from nn.storage.own_datasets import DatasetStore

    return as_dataset(DatasetStore(drawings_dir).get(SET), seed)[1]


def train(folder: Path, seed: int) -> dict:
    env = {**os.environ, **{f"DIGITLAB_{what.upper()}_DIR": str(folder / what)
                            for what in ("models", "drawings", "runs", "inside", "exports")}}
    out = subprocess.run([sys.executable, "-m", "nn", "train", "--data", SET, "--seed", str(seed),
                          "--name", f"symbols-{seed}", "--json"],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout)


def on_the_page(drawings: int) -> dict:
    """Seconds from the click on Add to the new count, for `drawings` drawings of a check mark."""
    import statistics

    from playwright.sync_api import sync_playwright

    from harness.browser import click, launch, new_page, wait_idle, widget
    from harness.server import start_app, stop_app, wait_warm
    from harness.strokes import draw_strokes

    timings = []
    with tempfile.TemporaryDirectory(prefix="digitlab-symbols-page-") as tmp, sync_playwright() as pw:
        app = start_app(Path(tmp))
        try:
            browser = launch(pw)
            page = new_page(browser)
            page.goto(app.url + "/datasets")
            wait_idle(page)
            wait_warm(app)  # as on a server that has been up a while (bench.live's first visitor too)
            widget(page, "new_set_name").locator("input").fill(SET)
            widget(page, "new_set_classes").locator("input").fill(", ".join(symbols.SYMBOLS))
            page.get_by_role("button", name="Create").click()
            wait_idle(page)
            for n in range(drawings):
                canvas = page.locator(f".st-key-own-canvas-{n} canvas.upper-canvas")
                canvas.wait_for()
                draw_strokes(page, canvas.bounding_box(), symbols.SYMBOLS["✓"], 170 + 4 * n, 50, 50)
                wait_idle(page)
                start = time.perf_counter()
                click(page, "own_add")
                counted = "() => document.querySelector(\"[data-testid='own-count']\")?.dataset.count"
                page.wait_for_function(f"{counted} === '{n + 1}'", polling="raf", timeout=30_000)
                timings.append(time.perf_counter() - start)
                wait_idle(page)
            browser.close()
        finally:
            stop_app(app)
    return {"drawings added on the page": drawings,
            "click to the new count, ms: median": round(1000 * statistics.median(timings)),
            "click to the new count, ms: 90th percentile":
                round(1000 * sorted(timings)[int(0.9 * len(timings))]),
            "click to the new count, ms: max": round(1000 * max(timings))}


def measure(per_class: int, seeds: list[int]) -> dict:
    with tempfile.TemporaryDirectory(prefix="digitlab-symbols-") as tmp:
        folder = Path(tmp)
        add_seconds, added = fill(folder / "drawings", per_class)
        figures = {"drawings": added,
                   "adding a drawing, ms (median, the store alone)": round(1000 * add_seconds, 1)}
        for seed in seeds:
            result = train(folder, seed)
            figures[f"seed {seed}"] = {
                "held out": held_out_person(folder / "drawings", seed),
                "test accuracy (a person it never saw)": round(result["test_accuracy"], 4),
                "training, s": round(result["seconds"], 1), "epochs": result["epochs"]}
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=25)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--page", type=int, default=0, metavar="N", help="also add N drawings in Chromium")
    args = parser.parse_args(argv)
    figures = measure(args.per_class, args.seeds)
    if args.page:
        figures.update(on_the_page(args.page))
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
