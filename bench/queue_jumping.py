"""One person with ten fresh workspaces tries to jump another person's queued run, in Chromium.

    .venv/bin/python -m bench.queue_jumping [--fresh 10]   # prints the figures as JSON

The server is started as `./run.sh` starts it, in per-user mode, with its own training slots. A
workspace costs nothing: a page opened without a ?workspace= token gets a new one. So:
1. someone (the "earlier person") trains a run to its end: they have been served;
2. the class fills every training slot (runs of four epochs);
3. the earlier person presses Train again: their run waits, first in the queue;
4. one person opens ten pages without a token and presses Train on each.
Before the fix, round robin put every never-served newcomer first (see BEFORE). Measured: where
each run started against the earlier person's, and how long that run waited against one run's time.
tests/e2e/test_load.py checks what must hold; bench.run records the figures in RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from bench.classroom import FIRST_SIGN, PLACE, SIGN_SHOWN, SIGN_TIMER, TRAINING, prepare, shown
from harness.browser import click, fill_number, launch, set_train_form, wait_idle, widget
from harness.server import App, start_app, stop_app, tail
from nn.runs.run_folder import STATE_FILE, read_json
from nn.storage.tokens import from_token
from nn.storage.workspaces import SUBFOLDER

TIMEOUT_MS = 180_000
CLASS_EPOCHS = 4
# Measured with the rule that holds newcomers back switched off (queue.scan passing no `appeared`).
BEFORE = ("place 1, then 11 after the newcomers; all 10 of their runs started before it; "
          "it waited 65.7 s, a run of the class took 37.2 s")


def token_of(page) -> str:
    return parse_qs(urlparse(page.url).query)["workspace"][0]


def runs_of(app: App, page) -> list[dict]:
    """The statuses of the runs of the page's workspace, oldest first."""
    folder = app.folder / "runs" / SUBFOLDER / from_token(token_of(page)).id
    states = [read_json(state, {}) for state in folder.glob(f"*/{STATE_FILE}")]
    return sorted(states, key=lambda s: s.get("queued_at") or 0)


def press_and_see_a_sign(page) -> str:
    """Press Train; the first sign of the run on the page (its progress or its place)."""
    page.evaluate(SIGN_TIMER)
    click(page, "train_start")
    page.wait_for_function(SIGN_SHOWN, timeout=TIMEOUT_MS)
    return page.evaluate("() => window.__sign.text")


def wait_for_start(app: App, page, timeout: float = TIMEOUT_MS / 1000) -> dict:
    """The status of the page's latest run, once it has started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        latest = runs_of(app, page)[-1]
        if latest.get("started_at"):
            return latest
        time.sleep(0.2)
    raise AssertionError(f"the earlier person's run did not start: {shown(page)!r}")


def place_shown(page) -> int | None:
    text = page.evaluate(f"() => ({FIRST_SIGN})()") or ""
    place = PLACE.search(text)
    return int(place.group(1)) if place else None


def measure(app: App, browser, slots: int, fresh: int = 10) -> dict:
    earlier = prepare(browser, app.url)
    class_pages = [prepare(browser, app.url) for _ in range(slots)]
    for page in class_pages:  # long enough for the newcomers to press Train while they train
        fill_number(page, "train_epochs", CLASS_EPOCHS)
        wait_idle(page)
    newcomers = [prepare(browser, app.url) for _ in range(fresh)]
    pages = [earlier, *class_pages, *newcomers]
    try:
        press_and_see_a_sign(earlier)  # 1. served once, to its end
        widget(earlier, "save_model").wait_for(timeout=TIMEOUT_MS)
        for page in class_pages:  # 2. every slot busy
            press_and_see_a_sign(page)
        for page in class_pages:
            page.wait_for_function(f"() => ({TRAINING})(({FIRST_SIGN})())", timeout=TIMEOUT_MS)
        set_train_form(earlier, app.url)  # 3. waits
        place_before = PLACE.search(press_and_see_a_sign(earlier))
        for page in newcomers:  # 4. ten fresh workspaces press Train
            press_and_see_a_sign(page)
        # On a slow machine a slot may free up while the newcomers press Train: started is right too.
        place_after = place_shown(earlier)
        if place_after is None and runs_of(app, earlier)[-1].get("started_at"):
            place_after = "started"
        served = wait_for_start(app, earlier)
        class_runs = [runs_of(app, page)[0] for page in class_pages]
        newcomer_starts = [run.get("started_at") for page in newcomers for run in runs_of(app, page)]
        one_run = max(run["ended_at"] - run["started_at"] for run in class_runs if run.get("ended_at"))
        return {
            "training slots": slots,
            "fresh workspaces pressing Train after the earlier run was queued": fresh,
            "the earlier run's place in the queue: when queued / after the newcomers":
                [int(place_before.group(1)) if place_before else None, place_after],
            "newcomers' runs that started before it": sum(1 for s in newcomer_starts
                                                          if s and s < served["started_at"]),
            "it waited, s": round(served["started_at"] - served["queued_at"], 1),
            "a run of the class took, s": round(one_run, 1),
            "before the fix": BEFORE,
        }
    finally:
        for page in pages:
            page.context.close()


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    from nn.runs.run_queue import default_max_trainings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(Path(tmp), env={"DIGITLAB_WORKSPACES": "per-user"})
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                figures = measure(app, browser, default_max_trainings(), args.fresh)
                browser.close()
        except BaseException:
            print(f"the log of the server ends with:\n{tail(app.log)}")
            raise
        finally:
            stop_app(app)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
