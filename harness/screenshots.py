"""The screenshots in docs/: each page on a desktop (1400x900) and on a phone (390x844, touch),
taken from the real app, started as ./run.sh starts it, with a fresh folder of its own.

    .venv/bin/python -m harness.screenshots [--only draw train]

Draw shows a 4 drawn with the mouse (on the phone, with a finger) and its answer; Train a
two-epoch dense-128 run on 6,000 images, its first epoch done; Models and Evaluate
the bundled models; Data sets its first screen; Learn the lecture's gradient descent. The images
are written over docs/*.png; the README and docs/guide.md show them.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from harness.browser import click, fill_number, launch, new_page, set_train_form, wait_idle
from harness.server import start_app, stop_app
from harness.strokes import canvas_box, draw_digit, touch_digit

DOCS = Path(__file__).resolve().parents[1] / "docs"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}


def draw(page, url: str, phone: bool) -> None:
    page.goto(url)
    wait_idle(page)
    if phone:
        touch_digit(page, page.context.new_cdp_session(page), canvas_box(page), 4, 170, 55, 45)
    else:
        draw_digit(page, canvas_box(page), 4, 190, 45, 45)
    page.get_by_test_id("answer").first.wait_for()
    wait_idle(page)


def train(page, url: str, phone: bool) -> None:
    set_train_form(page, url, "dense-128", epochs=2)
    fill_number(page, "train_subset", 6000)
    wait_idle(page)
    click(page, "train_start")
    page.locator(".js-plotly-plot").nth(1).wait_for(timeout=180_000)  # the per-epoch chart: one epoch in
    wait_idle(page)


def models(page, url: str, phone: bool) -> None:
    page.goto(url + "/models")
    wait_idle(page)


def evaluate(page, url: str, phone: bool) -> None:
    page.goto(url + "/evaluate")
    wait_idle(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    wait_idle(page)


def datasets(page, url: str, phone: bool) -> None:
    page.goto(url + "/datasets")
    wait_idle(page)


def learn(page, url: str, phone: bool) -> None:
    page.goto(url + "/learn?lesson=gradient-descent&weight=0.5&goal=0.8&input=0.5&alpha=1&steps=20")
    wait_idle(page)
    page.get_by_test_id("lesson-result").first.wait_for(timeout=60_000)
    wait_idle(page)


PAGES = {"draw": draw, "train": train, "datasets": datasets, "models": models, "evaluate": evaluate,
         "learn": learn}


def take(browser, url: str, names: list[str]) -> list[Path]:
    written = []
    for name in names:
        for phone in (False, True):
            size = PHONE if phone else DESKTOP
            options = {k: v for k, v in size.items() if k not in ("width", "height")}
            page = new_page(browser, size["width"], size["height"], **options)
            try:
                PAGES[name](page, url, phone)
                path = DOCS / f"{name}{'-phone' if phone else ''}.png"
                page.screenshot(path=str(path))
                written.append(path)
            finally:
                page.context.close()
    return written


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(PAGES), default=list(PAGES))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                for path in take(browser, app.url, args.only):
                    print(path.relative_to(DOCS.parent), flush=True)
                browser.close()
        finally:
            stop_app(app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
